"""The `flyteauth` console script (flyteauth._cli): it execs the tool, and says what to
install when there is none. (The wheel's bundled tool: Tests/wheel/run.sh.)"""
import os
import subprocess
import sys
from pathlib import Path


SRC = str(Path(__file__).resolve().parents[1] / "src")
STAGED_TOOL = Path(__file__).resolve().parents[3] / "build" / "stage" / "bin" / "flyteauth"

RUN = "import sys; sys.path.insert(0, %r); from flyteauth import _cli; %s; _cli.main()"


def script(setup="pass", path=""):
    return subprocess.run([sys.executable, "-c", RUN % (SRC, setup), "--version"], capture_output=True, text=True,
                          timeout=60, env=dict(os.environ, PATH=path))


def test_runs_the_staged_tool_from_a_checkout():
    assert STAGED_TOOL.exists(), "no staged build: run make (run-tests.sh does)"
    p = script()
    assert p.returncode == 0 and p.stdout.strip() == "0.1.0", p.stderr


def test_without_a_tool_it_names_the_fixes(tmp_path):
    p = script("from flyteauth import _library; _library.staged_build_path = lambda: %r"
               % str(tmp_path / "lib" / "libflyteauth.so.0"), path=str(tmp_path))
    assert p.returncode == 127
    assert "pip install build/wheel/flyteauth-" in p.stderr and "apt install flyteauth" in p.stderr
