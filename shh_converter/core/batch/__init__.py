"""The one door to a batch, for the CLI, the window and both watches.

A front end opens one :class:`Session` per recipe: it checks once that
background removal can start (:func:`.session.preflight`), then offers
:meth:`Session.plan` (``--dry-run``), :meth:`Session.run` (a batch) and
:meth:`Session.watch` (a watch folder's :class:`~..watch.Watcher`), all through
the same sidecar :class:`Hooks` and the same warm worker processes. Nothing
else in the front ends calls the planner, the runner or the watcher's
``run_jobs`` directly.
"""

from __future__ import annotations

from .hooks import Hooks
from .session import Outcome, Session

__all__ = ["Hooks", "Outcome", "Session"]
