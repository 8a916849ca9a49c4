"""flyteauth: Flyte authentication for Python, over libflyteauth.

    import flyteauth

    client = flyteauth.Client({"endpoint": "flyte.example.com", "auth_type": "ClientSecret",
                               "client_id": "my-app", "client_secret_env_var": "MY_SECRET"})
    stub_call(request, metadata=client.metadata())      # gRPC
    requests.get(url, auth=flyteauth.http.FlyteAuth(client))   # HTTP

    async with flyteauth.AsyncClient(settings) as client:   # asyncio
        metadata = await client.metadata()

Integrations are in submodules with optional dependencies: :mod:`flyteauth.grpc`
(grpcio), :mod:`flyteauth.grpc_aio` (grpc.aio), :mod:`flyteauth.http` (requests,
httpx, also httpx.AsyncClient), :mod:`flyteauth.flytekit_compat` (flytekit's
Authenticator and its ``flytekit.auth`` plugins).

``import flyteauth`` loads only what the first header needs; the other names below
are imported on first use (module ``__getattr__``).
"""
from ._token import Metadata, Token
from .client import Client
from .errors import (
    AccessTokenNotFoundError,
    AuthenticationError,
    CacheError,
    CancelledError,
    CommandError,
    ConfigurationError,
    FlyteAuthError,
    ForkedError,
    InternalError,
    InvalidArgumentError,
    LibraryNotFoundError,
    LoginRequiredError,
    NetworkError,
    OAuthError,
    ProtocolError,
    TimeoutError,
    UnsupportedError,
)

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, List

    from ._async_client import AsyncClient
    from ._config import library_version, resolve_config
    from ._device_prompt import DevicePrompt
    from ._loglevel import LogLevel
    from ._settings_keys import SETTINGS_KEYS
    from ._status import Status

__version__ = "0.1.0"

__all__ = [
    "Client", "AsyncClient", "DevicePrompt", "LogLevel", "Metadata", "Token", "library_version", "resolve_config",
    "AccessTokenNotFoundError", "AuthenticationError", "CacheError", "CancelledError", "CommandError",
    "ConfigurationError", "FlyteAuthError", "ForkedError", "InternalError", "InvalidArgumentError",
    "LibraryNotFoundError", "LoginRequiredError", "NetworkError", "OAuthError", "ProtocolError", "Status",
    "TimeoutError", "UnsupportedError", "SETTINGS_KEYS", "__version__",
]

# name -> the module that defines it, imported on first use.
_LAZY = {
    "AsyncClient": "_async_client",
    "DevicePrompt": "_device_prompt",
    "LogLevel": "_loglevel",
    "Status": "_status",
    "library_version": "_config",
    "resolve_config": "_config",
    "SETTINGS_KEYS": "_settings_keys",
}


def __getattr__(name: str) -> "Any":
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError("module 'flyteauth' has no attribute %r" % name)
    value = getattr(__import__("flyteauth." + module, fromlist=(name,)), name)
    globals()[name] = value
    return value


def __dir__() -> "List[str]":
    return sorted(set(globals()) | set(_LAZY))
