"""Entry script for the PyInstaller bundle (both the windowed and the console executable).

No arguments or only paths: the window. A command (``convert``, ``self-test``, ...): the CLI.
"""

import sys

from shh_converter.__main__ import main

if __name__ == "__main__":
    sys.exit(main())
