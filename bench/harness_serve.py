"""`python -m harness serve` (Tests/e2e/harness) with a listen backlog big enough for a
refresh storm: the Flyte front is a socketserver with Python's default backlog of 5, so
32 simultaneous token requests (flytekit's 4 x 8 storm) would be partly refused or
delayed by SYN retries, and the benchmark would count connection errors instead of
requests. Same arguments as `python -m harness serve`; `python -m harness down`
stops it by pid (its command line names "harness", "serve" and the state file).

    python bench/harness_serve.py serve --state FILE [options of harness up]
"""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "Tests", "e2e"))

from harness import front  # noqa: E402
from harness.__main__ import main  # noqa: E402

front._Server.request_queue_size = 128

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
