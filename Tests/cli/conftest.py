"""The CLI tests' fixtures are the harness's pytest plugin (Tests/e2e/harness/pytest_plugin.py:
redirect_port, stack, front, keyring_session), shared with Tests/e2e and bindings/python/tests."""
import os
import sys

# Never the developer's own kernel keyring: only Tests/kernel uses that tier, inside its
# own `keyctl session -` (the tool's processes inherit this environment).
os.environ.setdefault("FLYTEAUTH_KERNEL_KEYRING", "off")

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "e2e"))

pytest_plugins = ["harness.pytest_plugin"]
