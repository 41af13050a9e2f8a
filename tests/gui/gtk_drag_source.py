"""A real XDND drag source (another X client, like a file manager), run by Debian's python3.

Usage: python3 gtk_drag_source.py PATH...  — shows a "drag me" button at (600, 0)
offering the paths as text/uri-list, prints "ready" once mapped, quits after 60 s.
Needs python3-gi and gir1.2-gtk-3.0 (system packages, not the venv).
"""

import sys
from urllib.parse import quote

import gi

gi.require_version("Gtk", "3.0")
gi.require_version("Gdk", "3.0")
from gi.repository import Gdk, GLib, Gtk  # noqa: E402

URIS = ["file://" + quote(p) for p in sys.argv[1:]]


def main() -> None:
    win = Gtk.Window(title="drag-source")
    win.move(600, 0)
    win.set_default_size(200, 100)
    btn = Gtk.Button(label="drag me")
    btn.drag_source_set(Gdk.ModifierType.BUTTON1_MASK, [], Gdk.DragAction.COPY)
    btn.drag_source_add_uri_targets()
    btn.connect("drag-data-get", lambda w, ctx, data, info, t: data.set_uris(URIS))
    win.add(btn)
    win.connect("map-event", lambda *a: print("ready", flush=True))
    GLib.timeout_add_seconds(60, Gtk.main_quit)
    win.show_all()
    Gtk.main()


if __name__ == "__main__":
    main()
