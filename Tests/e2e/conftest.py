"""The end-to-end tests' fixtures are the harness's pytest plugin
(harness/pytest_plugin.py: redirect_port, stack, front, keyring_session), shared with
Tests/cli and bindings/python/tests."""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
# Never the user's own kernel keyring (persistent or user, whatever was exported): only
# Tests/kernel uses that tier, inside its own `keyctl session -`.
if os.environ.get("FLYTEAUTH_KERNEL_KEYRING") != "session":
    os.environ["FLYTEAUTH_KERNEL_KEYRING"] = "off"

pytest_plugins = ["harness.pytest_plugin"]
