"""Test fixtures for libflyteauth's end-to-end tests.

- glewlwyd.Glewlwyd: a private, real OAuth2/OIDC server (glewlwyd) on 127.0.0.1.
- front.FlyteFront: plays the Flyte admin endpoint (discovery documents, token proxy
  with counters and fault injection, /me).
- user: plays the person at the browser (PKCE approve/deny, device approval).
- keyring: a private Secret Service (gnome-keyring on a private D-Bus bus).
- stack.start_stack: glewlwyd + front together, for pytest fixtures.
- `python3 -m harness up|down --state FILE`: the same for C, Go and shell tests.

Standard library only; runs under /usr/bin/python3 and Python 3.11.
"""
from .front import FlyteFront
from .glewlwyd import Glewlwyd, GlewlwydError
from .keyring import KeyringSession, keyring_session_command, run_in_keyring_session
from .stack import Stack, redirect_uris_for, start_stack
from .user import Browser, approve_device, approve_pkce, deny_pkce, pkce_redirect

__all__ = [
    "FlyteFront", "Glewlwyd", "GlewlwydError", "KeyringSession", "keyring_session_command",
    "run_in_keyring_session", "Stack", "redirect_uris_for", "start_stack", "Browser",
    "approve_device", "approve_pkce", "deny_pkce", "pkce_redirect",
]
