"""A tiny freedesktop notification server for tests, on the session bus it is given.

Prints one JSON line per notification received, then "clicks" it (emits
``ActionInvoked(id, "default")``) as a user would. Started by ``test_notify.py``
inside a private ``dbus-daemon``; needs only dbus-fast (desktop-notifier's own
dependency on Linux).
"""

import asyncio
import json
import sys

from dbus_fast.aio import MessageBus
from dbus_fast.service import ServiceInterface, method, signal


class Notifications(ServiceInterface):
    def __init__(self) -> None:
        super().__init__("org.freedesktop.Notifications")
        self.next_id = 1

    @method()
    def GetCapabilities(self) -> "as":  # noqa: F722
        return ["body", "actions"]

    @method()
    def GetServerInformation(self) -> "ssss":  # noqa: F821
        return ["tiny-test-server", "shh", "1", "1.2"]

    @method()
    def Notify(
        self,
        app_name: "s",  # noqa: F821
        replaces_id: "u",  # noqa: F821
        app_icon: "s",  # noqa: F821
        summary: "s",  # noqa: F821
        body: "s",  # noqa: F821
        actions: "as",  # noqa: F722
        hints: "a{sv}",  # noqa: F722
        expire_timeout: "i",  # noqa: F821
    ) -> "u":  # noqa: F821
        nid = self.next_id
        self.next_id += 1
        record = {"app": app_name, "title": summary, "body": body, "actions": list(actions)}
        print(json.dumps(record), flush=True)
        if "default" in actions:
            asyncio.get_running_loop().call_later(0.3, self.ActionInvoked, nid, "default")
        return nid

    @method()
    def CloseNotification(self, nid: "u") -> None:  # noqa: F821
        self.NotificationClosed(nid, 3)

    @signal()
    def ActionInvoked(self, nid: "u", key: "s") -> "us":  # noqa: F821
        return [nid, key]

    @signal()
    def NotificationClosed(self, nid: "u", reason: "u") -> "uu":  # noqa: F821
        return [nid, reason]


async def main() -> None:
    bus = await MessageBus().connect()
    bus.export("/org/freedesktop/Notifications", Notifications())
    await bus.request_name("org.freedesktop.Notifications")
    print("ready", flush=True)
    await asyncio.get_running_loop().create_future()


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
