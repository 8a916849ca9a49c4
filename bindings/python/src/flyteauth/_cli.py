"""The ``flyteauth`` command of the wheel: runs the CLI binary bundled in the package.

The wheel carries the same ``flyteauth`` tool as the Debian package (flyteauth/_bin), so a
pip user can configure it as flytekit's or flytectl's ExternalCommand. This script only
replaces itself with it (exec: same pid, exit status, signals and terminal).
"""
from __future__ import annotations

import os
import sys


def bundled_binary() -> str:
    return os.path.join(os.path.dirname(os.path.abspath(__file__)), "_bin", "flyteauth")


def main() -> None:
    path = bundled_binary()
    if not os.access(path, os.X_OK):
        sys.stderr.write(
            "flyteauth: this installation of the Python package has no bundled command (%s is missing);\n"
            "  install the wheel (make wheel; pip install build/wheel/flyteauth-*.whl)\n"
            "  or the Debian package: apt install flyteauth\n" % path)
        sys.exit(127)
    os.execv(path, [path] + sys.argv[1:])


if __name__ == "__main__":
    main()
