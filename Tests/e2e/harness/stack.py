"""glewlwyd + FlyteFront together, for pytest fixtures and the CLI.

    stack = start_stack(access_token_duration=5, redirect_ports=[54001])
    try:
        ... stack.endpoint, stack.state["public_client_id"], stack.front.token_requests() ...
    finally:
        stack.stop()
"""
from .front import FlyteFront
from .glewlwyd import Glewlwyd

DEFAULT_REDIRECT_URI = "http://localhost:53593/callback"


def redirect_uris_for(ports=(), path="/callback"):
    """The default Flyte redirect URI plus, per port, its localhost and 127.0.0.1 forms
    (glewlwyd matches redirect URIs exactly, host and port included)."""
    uris = [DEFAULT_REDIRECT_URI, "http://127.0.0.1:53593/callback"]
    for p in ports:
        for host in ("localhost", "127.0.0.1"):
            u = "http://%s:%d%s" % (host, int(p), path)
            if u not in uris:
                uris.append(u)
    return uris


class Stack:
    def __init__(self, idp, front):
        self.idp = idp
        self.front = front

    @property
    def endpoint(self):
        return self.front.url

    @property
    def state(self):
        """The facts a test needs (holds the service secret and user password: do not print)."""
        return {
            "endpoint": self.front.url,
            "idp": self.idp.url,
            "issuer": self.idp.issuer,
            "token_endpoint": self.front.token_endpoint,
            "idp_token_endpoint": self.idp.token_endpoint,
            "device_authorization_endpoint": self.idp.openid_configuration.get("device_authorization_endpoint"),
            "authorization_endpoint": self.idp.openid_configuration.get("authorization_endpoint"),
            "userinfo_endpoint": self.idp.openid_configuration.get("userinfo_endpoint"),
            "public_client_id": self.idp.public_client_id,
            "service_client_id": self.idp.service_client_id,
            "service_client_secret": self.idp.service_client_secret,
            "username": self.idp.username,
            "password": self.idp.password,
            "redirect_uris": list(self.idp.redirect_uris),
            "access_token_duration": self.idp.access_token_duration,
            "refresh_token_one_use": self.idp.refresh_token_one_use,
            "counts_url": self.front.url + "/_test/counts",
            "glewlwyd_pid": self.idp.pid,
            "glewlwyd_dir": self.idp.dir,
        }

    def stop(self):
        try:
            if self.front is not None:
                self.front.stop()
        finally:
            self.front = None
            if self.idp is not None:
                self.idp.stop()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()


def start_stack(access_token_duration=5, refresh_token_duration=1209600, refresh_one_use=False,
                refresh_token_one_use=None, redirect_ports=(), redirect_uris=None,
                redirect_uri=DEFAULT_REDIRECT_URI, flyte1=True, flyte2=True,
                metadata_overrides=None, client_config_overrides=None, front_port=0,
                start_timeout=10.0, **front_kwargs):
    """Start a private glewlwyd and a FlyteFront in front of it; return a Stack.

    refresh_one_use=True (or refresh_token_one_use="always") rotates refresh tokens.
    redirect_ports: extra loopback ports registered for the public client.
    Extra keyword arguments go to FlyteFront (scopes, audience, ...).
    """
    one_use = refresh_token_one_use or ("always" if refresh_one_use else "never")
    uris = list(redirect_uris) if redirect_uris else redirect_uris_for(redirect_ports)
    idp = Glewlwyd(redirect_uris=uris, access_token_duration=access_token_duration,
                   refresh_token_duration=refresh_token_duration, refresh_token_one_use=one_use,
                   start_timeout=start_timeout)
    idp.start()
    try:
        front = FlyteFront(idp.discovery_url, client_id=idp.public_client_id, redirect_uri=redirect_uri,
                           flyte1=flyte1, flyte2=flyte2, metadata_overrides=metadata_overrides,
                           client_config_overrides=client_config_overrides, port=front_port,
                           **front_kwargs)
        front.start()
    except BaseException:
        idp.stop()
        raise
    return Stack(idp, front)
