"""The ``flyteauth`` command of the Python package: runs the CLI binary.

The wheel carries the same ``flyteauth`` tool as the Debian package (flyteauth/_bin), so a
pip user can configure it as flytekit's or flytectl's ExternalCommand. This script only
replaces itself with it (exec: same pid, exit status, signals and terminal). Installed
another way (an editable checkout), it runs the source tree's staged tool, else another
``flyteauth`` on PATH (the Debian package's).
"""
from __future__ import annotations

import os
import shutil
import sys

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Iterator


def bundled_binary() -> str:
    return os.path.join(os.path.dirname(os.path.abspath(__file__)), "_bin", "flyteauth")


def candidates() -> Iterator[str]:
    yield bundled_binary()
    from ._library import staged_build_path

    # <repo>/build/stage/lib/libflyteauth.so.0 -> <repo>/build/stage/bin/flyteauth
    yield os.path.join(os.path.dirname(os.path.dirname(staged_build_path())), "bin", "flyteauth")
    me = os.path.realpath(sys.argv[0]) if sys.argv and sys.argv[0] else ""
    for directory in os.environ.get("PATH", "").split(os.pathsep):
        found = shutil.which("flyteauth", path=directory) if directory else None
        if found and os.path.realpath(found) != me:
            yield found


def main() -> None:
    for path in candidates():
        if os.path.isfile(path) and os.access(path, os.X_OK):
            os.execv(path, [path] + sys.argv[1:])
    sys.stderr.write(
        "flyteauth: no flyteauth tool found (%s is missing: this Python package was not installed from the wheel);\n"
        "  install the wheel (make wheel; pip install build/wheel/flyteauth-*.whl)\n"
        "  or the Debian package: apt install flyteauth\n" % bundled_binary())
    sys.exit(127)


if __name__ == "__main__":
    main()
