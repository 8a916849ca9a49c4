"""flytekit integration: an ``Authenticator`` backed by a :class:`flyteauth.Client`, and
the ``flytekit.auth`` plugins that make flytekit use it.

flytekit (>= 1.16.31) looks up ``PlatformConfig.auth_mode`` values that are not its
built-in names in the ``flytekit.auth`` entry-point group and calls the factory found
there with ``(PlatformConfig, ClientConfigStore)``. Installing this package registers:

=============================  ======================================================
``auth_mode`` (any case)        flow
=============================  ======================================================
``flyteauth_pkce``             authorization code + PKCE (browser)
``flyteauth_deviceflow``       device authorization grant
``flyteauth_clientsecret``     client credentials (``client_id`` + secret)
``flyteauth_externalcommand``  the token is the stdout of ``command``
``flyteauth``                  the library decides (flyteauth_client_new in
                               flyteauth.h): ``$FLYTEAUTH_AUTH_TYPE`` if set; else
                               ClientSecret when a client secret is configured,
                               ExternalCommand when a command is, else PKCE
=============================  ======================================================

e.g. ``FLYTE_CREDENTIALS_AUTH_MODE=flyteauth_clientsecret pyflyte run --remote ...``.

The factories map PlatformConfig's fields onto the library's settings (``endpoint``,
``insecure``, ``insecure_skip_verify``, ``ca_cert_file_path``, ``http_proxy_url``,
``client_id``, ``client_credentials_secret`` -> ``client_secret``, ``scopes``,
``audience``, ``command``, ``proxy_command``). ``$FLYTEAUTH_SETTINGS`` (a JSON object
of settings keys, e.g. ``{"keyring": false}``) is merged over them. The library
discovers the OAuth2 endpoints over HTTP(S) itself (with a disk cache), so the
``ClientConfigStore`` flytekit passes is not used.

Errors are raised as classes that are both the flyteauth exception and flytekit's
``AuthenticationError`` (``AccessTokenNotFoundError`` for a required login), so code
catching either keeps working.

Where entry points are not available (vendored code, Bazel), call :func:`register`.
"""
from __future__ import annotations

import json
import logging
import os
from typing import Any, Callable, Dict, Literal, Optional, Tuple, Type

from flytekit.clients.auth import exceptions as _fk_exceptions
from flytekit.clients.auth.authenticator import Authenticator, ClientConfigStore
from flytekit.clients.auth.keyring import Credentials

from ._token import Token
from .client import Client
from .errors import AccessTokenNotFoundError, ConfigurationError, FlyteAuthError

__all__ = [
    "FlyteAuthAuthenticator", "settings_from_platform_config", "authenticator_for", "register",
    "configured_factory", "pkce_factory", "deviceflow_factory", "clientsecret_factory",
    "externalcommand_factory", "PLUGINS", "SETTINGS_ENV_VAR", "AUTH_TYPE_ENV_VAR",
]

SETTINGS_ENV_VAR = "FLYTEAUTH_SETTINGS"
#: Read by the library itself when the settings name no auth type.
AUTH_TYPE_ENV_VAR = "FLYTEAUTH_AUTH_TYPE"
_log = logging.getLogger("flyteauth")

# ---------------------------------------------------------------------------
# Errors as flytekit's
# ---------------------------------------------------------------------------

_combined: Dict[Tuple[type, type], type] = {}


def as_flytekit_error(e: FlyteAuthError) -> FlyteAuthError:
    """`e` re-created as an instance of both its class and flytekit's
    ``AuthenticationError`` (``AccessTokenNotFoundError`` for LOGIN_REQUIRED)."""
    fk: Type[BaseException] = (_fk_exceptions.AccessTokenNotFoundError if isinstance(e, AccessTokenNotFoundError)
                               else _fk_exceptions.AuthenticationError)
    if isinstance(e, fk):
        return e
    cls = _combined.get((type(e), fk))
    if cls is None:
        cls = type(type(e).__name__, (type(e), fk), {"__module__": __name__, "__doc__": type(e).__doc__})
        _combined[(type(e), fk)] = cls
    new = cls(e.message, status=e.raw_status, oauth_error=e.oauth_error,
              oauth_error_description=e.oauth_error_description, http_status=e.http_status, function=e.function)
    return new


def _reraise(e: FlyteAuthError) -> BaseException:
    new = as_flytekit_error(e)
    if new is not e:
        new.__cause__ = e.__cause__
        new.__suppress_context__ = True
        new.__traceback__ = e.__traceback__
    return new


class _translated:
    """Context manager re-raising FlyteAuthError as :func:`as_flytekit_error`."""

    def __enter__(self) -> None:
        return None

    def __exit__(self, exc_type: Any, exc: Any, tb: Any) -> Literal[False]:
        if isinstance(exc, FlyteAuthError):
            new = as_flytekit_error(exc)
            if new is not exc:
                new.__cause__ = exc.__cause__
                new.__suppress_context__ = True
                raise new.with_traceback(tb)
        return False


# ---------------------------------------------------------------------------
# The authenticator
# ---------------------------------------------------------------------------

class FlyteAuthAuthenticator(Authenticator):
    """A flytekit ``Authenticator`` whose tokens come from libflyteauth.

    ``fetch_grpc_call_auth_metadata()`` returns ``(header_key, "Bearer <token>")`` from
    the client's cached metadata (getting a token first if there is none, unlike
    flytekit's authenticators, which send the first call without one);
    ``refresh_credentials()`` tells the library the last token handed out was rejected;
    ``get_credentials()`` returns flytekit ``Credentials`` for the current token, or
    None when the client holds none yet (flytekit then calls ``refresh_credentials()``).
    """

    def __init__(self, client: Client, endpoint: Optional[str] = None):
        super().__init__(endpoint, None)
        self._client = client
        self._last_sent: Optional[str] = None

    @property
    def client(self) -> Client:
        return self._client

    def fetch_grpc_call_auth_metadata(self) -> Optional[Tuple[str, str]]:
        try:  # (no context manager here: this is the per-call path)
            md = self._client.metadata()
        except FlyteAuthError as e:
            raise _reraise(e)  # noqa: B904 - _reraise sets the cause itself
        if not md:
            return None
        pair = md[0]
        self._last_sent = pair[1]
        return pair

    def fetch_grpc_call_auth_metadata_all(self) -> Tuple[Tuple[str, str], ...]:
        """Every header (with ``proxy-authorization`` when a proxy command is set)."""
        with _translated():
            md = self._client.metadata()
        if md:
            self._last_sent = md[0][1]
        return md

    def refresh_credentials(self) -> None:
        with _translated():
            md = self._client.refresh(rejected=self._last_sent)
            token = self._client.token()
        if md:
            self._last_sent = md[0][1]
            self._set_header_key(md[0][0])
        self._creds = self._credentials(token)

    def get_credentials(self) -> Optional[Credentials]:
        with _translated():
            if not self._client.status().get("has_token"):
                return None
            token = self._client.token()
        self._creds = self._credentials(token)
        return self._creds

    def _credentials(self, token: Token) -> Credentials:
        expires_in = None
        if token.expires_at is not None:
            import datetime
            expires_in = max(0, int((token.expires_at - datetime.datetime.now(datetime.timezone.utc)).total_seconds()))
        return Credentials(access_token=token.access_token, for_endpoint=self._endpoint or "flyte-default",
                           expires_in=expires_in)

    def __repr__(self) -> str:
        return "FlyteAuthAuthenticator(%r)" % (self._client,)


# ---------------------------------------------------------------------------
# PlatformConfig -> settings
# ---------------------------------------------------------------------------

def settings_from_platform_config(cfg: Any, auth_type: Optional[str] = None) -> Dict[str, Any]:
    """The library settings for a flytekit ``PlatformConfig`` (unset fields left out),
    with ``$FLYTEAUTH_SETTINGS`` merged over them."""
    s: Dict[str, Any] = {}

    def put(key: str, value: Any) -> None:
        if value is None or value == "" or value == [] or value == ():
            return
        s[key] = list(value) if isinstance(value, (list, tuple)) else value

    put("endpoint", getattr(cfg, "endpoint", None))
    if getattr(cfg, "insecure", False):
        s["insecure"] = True
    if getattr(cfg, "insecure_skip_verify", False):
        s["insecure_skip_verify"] = True
    put("ca_cert_file_path", getattr(cfg, "ca_cert_file_path", None))
    put("http_proxy_url", getattr(cfg, "http_proxy_url", None))
    put("client_id", getattr(cfg, "client_id", None))
    put("client_secret", getattr(cfg, "client_credentials_secret", None))
    put("scopes", getattr(cfg, "scopes", None))
    put("audience", getattr(cfg, "audience", None))
    put("command", getattr(cfg, "command", None))
    put("proxy_command", getattr(cfg, "proxy_command", None))
    # No auth type: the library chooses one from these settings and the environment.
    if auth_type:
        s["auth_type"] = auth_type
    raw = os.environ.get(SETTINGS_ENV_VAR)
    if raw:
        try:
            extra = json.loads(raw)
        except ValueError as e:
            raise as_flytekit_error(ConfigurationError("$%s is not JSON: %s" % (SETTINGS_ENV_VAR, e))) from e
        if not isinstance(extra, dict):
            raise as_flytekit_error(ConfigurationError("$%s must be a JSON object" % SETTINGS_ENV_VAR))
        s.update(extra)
    return s


def authenticator_for(cfg: Any, auth_type: Optional[str] = None, **overrides: Any) -> FlyteAuthAuthenticator:
    """A FlyteAuthAuthenticator for a PlatformConfig (`auth_type` None: the library's
    choice, see the module documentation); `overrides` are more settings."""
    settings = settings_from_platform_config(cfg, auth_type)
    settings.update(overrides)
    with _translated():
        client = Client(settings)
    try:
        client.on_log(_log, logging.WARNING)
    except FlyteAuthError:
        pass
    return FlyteAuthAuthenticator(client, endpoint=getattr(cfg, "endpoint", None))


def _factory(auth_type: Optional[str]) -> Callable[[Any, ClientConfigStore], Authenticator]:
    def factory(cfg: Any, cfg_store: Optional[ClientConfigStore] = None) -> Authenticator:
        return authenticator_for(cfg, auth_type)

    factory.__name__ = "%s_factory" % (auth_type or "configured")
    factory.__qualname__ = factory.__name__
    factory.__doc__ = "flytekit.auth plugin factory: (PlatformConfig, ClientConfigStore) -> Authenticator (%s)." % (
        auth_type or "configured type")
    return factory


configured_factory = _factory(None)
pkce_factory = _factory("pkce")
deviceflow_factory = _factory("deviceflow")
clientsecret_factory = _factory("clientsecret")
externalcommand_factory = _factory("externalcommand")

#: auth_mode name -> factory, as registered in the ``flytekit.auth`` entry-point group.
PLUGINS: Dict[str, Callable[[Any, ClientConfigStore], Authenticator]] = {
    "flyteauth": configured_factory,
    "flyteauth_pkce": pkce_factory,
    "flyteauth_deviceflow": deviceflow_factory,
    "flyteauth_clientsecret": clientsecret_factory,
    "flyteauth_externalcommand": externalcommand_factory,
}


def register() -> None:
    """Register the plugins with flytekit explicitly (for environments without entry
    points): ``flytekit.clients.auth_helper.register_authenticator_plugin``."""
    from flytekit.clients.auth_helper import register_authenticator_plugin

    for name, factory in PLUGINS.items():
        register_authenticator_plugin(name, factory)
