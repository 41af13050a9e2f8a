"""Rule 1 of the architecture: the engine never imports tkinter."""

from support import run_python

CHECK = r"""
import builtins, importlib, pkgutil, sys
real_import = builtins.__import__
def guarded(name, *args, **kwargs):
    if name == "tkinter" or name.startswith("tkinter.") or name == "_tkinter":
        raise ImportError("tkinter is blocked for the core")
    return real_import(name, *args, **kwargs)
builtins.__import__ = guarded
import shh_converter.core as core
names = [m.name for m in pkgutil.iter_modules(core.__path__, "shh_converter.core.")]
for name in names:
    importlib.import_module(name)
assert not any(m == "tkinter" or m.startswith("tkinter.") for m in sys.modules), "tkinter loaded"
print(len(names))
"""


def test_every_core_module_imports_without_tkinter() -> None:
    done = run_python("-c", CHECK, timeout=120)
    assert done.returncode == 0, done.stderr
    assert int(done.stdout.strip()) >= 5  # settings, jobs, events, errors, ... really imported
