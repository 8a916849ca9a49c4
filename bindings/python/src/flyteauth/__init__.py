"""flyteauth: Flyte authentication for Python, over libflyteauth.

    import flyteauth

    client = flyteauth.Client({"endpoint": "flyte.example.com", "auth_type": "ClientSecret",
                               "client_id": "my-app", "client_secret_env_var": "MY_SECRET"})
    stub_call(request, metadata=client.metadata())      # gRPC
    requests.get(url, auth=flyteauth.http.FlyteAuth(client))   # HTTP

Integrations are in submodules with optional dependencies: :mod:`flyteauth.grpc`
(grpcio), :mod:`flyteauth.http` (requests, httpx), :mod:`flyteauth.flytekit_compat`
(flytekit's Authenticator and its ``flytekit.auth`` plugins).
"""
from ._settings_keys import SETTINGS_KEYS
from .client import Client, DevicePrompt, LogLevel, Metadata, Token, library_version, resolve_config
from .errors import (AccessTokenNotFoundError, AuthenticationError, CacheError, CancelledError, CommandError,
                     ConfigurationError, FlyteAuthError, ForkedError, InternalError, InvalidArgumentError,
                     LibraryNotFoundError, LoginRequiredError, NetworkError, OAuthError, ProtocolError, Status,
                     TimeoutError, UnsupportedError)

__version__ = "0.1.0"

__all__ = [
    "Client", "DevicePrompt", "LogLevel", "Metadata", "Token", "library_version", "resolve_config",
    "AccessTokenNotFoundError", "AuthenticationError", "CacheError", "CancelledError", "CommandError",
    "ConfigurationError", "FlyteAuthError", "ForkedError", "InternalError", "InvalidArgumentError",
    "LibraryNotFoundError", "LoginRequiredError", "NetworkError", "OAuthError", "ProtocolError", "Status",
    "TimeoutError", "UnsupportedError", "SETTINGS_KEYS", "__version__",
]
