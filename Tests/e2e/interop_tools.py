"""flytekit's or flyte-sdk's own authentication classes, for the interop matrix.

    python interop_tools.py flytekit|flyte-sdk ENDPOINT
    stdin: one JSON command a line: {"cmd": "login" | "refresh" | "header" | "logout" | "plant", ...}
    stdout: one JSON answer a line; tokens appear only as short SHA-256 prefixes.

A long-lived process (the tools take seconds to import on a loaded machine), but every
command builds the tool's authenticator anew, so it reads the keyring as the tool's
next command would. The client configuration comes from the Flyte endpoint's discovery
documents, as the tool would get it from AuthMetadataService (the front serves those
over HTTP; flytekit's RemoteClientConfigStore speaks gRPC only). Logins run the tool's
own PKCE flow: its browser is $BROWSER (the scripted user, harness/user.py).
flytekit runs under /opt/flyteauth-venv, flyte-sdk under /opt/flyteauth-venv-flyte2.
"""
import asyncio
import hashlib
import json
import sys
import urllib.request


def sha(token):
    return hashlib.sha256(token.encode()).hexdigest()[:12]


def discovery(endpoint_url):
    def get(path):
        req = urllib.request.Request(endpoint_url + path, headers={"Accept": "application/json"})
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        with opener.open(req, timeout=10) as r:
            return json.load(r)
    md = get("/.well-known/oauth-authorization-server")
    cc = get("/config/v1/flyte_client")
    return dict(token_endpoint=md["token_endpoint"], authorization_endpoint=md["authorization_endpoint"],
                redirect_uri=cc["redirect_uri"], client_id=cc["client_id"], scopes=cc["scopes"],
                header_key=cc["authorization_metadata_key"] or "authorization")


class Flytekit:
    def __init__(self, endpoint_url):
        from flytekit.clients.auth import authenticator, keyring
        self.mod, self.keyring = authenticator, keyring
        self.endpoint = endpoint_url.split("://", 1)[1]  # flytekit's keyring service: host:port
        self.cfg = authenticator.ClientConfig(**discovery(endpoint_url))

    def authenticator(self):
        return self.mod.PKCEAuthenticator(self.endpoint, self.mod.StaticClientConfigStore(self.cfg), verify=False)

    def login(self):
        a = self.authenticator()
        a._creds = None  # a login, not a refresh of what is cached
        a.refresh_credentials()
        return a.get_credentials().access_token

    def refresh(self):
        # What flytekit does when its token expires: refresh with the refresh token it reads
        # from its layout, else (refused) a new login through the browser.
        a = self.authenticator()
        a.refresh_credentials()
        return a.get_credentials().access_token

    def header(self):
        creds = self.authenticator().get_credentials()  # read from the keyring in __init__
        return creds.access_token if creds and creds.access_token else None

    def logout(self):
        # What flytekit calls on logout, and on any refresh failure (flytekit #3443).
        self.keyring.KeyringStore.delete(self.endpoint)

    def plant(self, access_token, refresh_token):
        self.keyring.KeyringStore.store(self.keyring.Credentials(access_token=access_token, refresh_token=refresh_token,
                                                                 for_endpoint=self.endpoint))


class FlyteSDK:
    def __init__(self, endpoint_url):
        from flyte.remote._client.auth import _client_config, _keyring
        from flyte.remote._client.auth._authenticators import pkce
        self.config, self.keyring, self.pkce = _client_config, _keyring, pkce
        self.endpoint = "dns:///" + endpoint_url.split("://", 1)[1]  # stored under host:port
        self.cfg = _client_config.ClientConfig(**discovery(endpoint_url))

    def authenticator(self):
        return self.pkce.PKCEAuthenticator(endpoint=self.endpoint, cfg_store=self.config.StaticClientConfigStore(self.cfg),
                                           verify=False)

    def login(self):
        a = self.authenticator()
        a._creds = None
        asyncio.run(a.refresh_credentials())
        return a.get_credentials().access_token

    def refresh(self):
        a = self.authenticator()
        asyncio.run(a.refresh_credentials())
        return a.get_credentials().access_token

    def header(self):
        h = asyncio.run(self.authenticator().get_auth_headers())
        if h is None:
            return None
        value = next(iter(h.headers.values()))
        return value.split(" ", 1)[1] or None

    def logout(self):
        # What flyte-sdk calls after any failed refresh (base.py refresh_credentials).
        self.keyring.KeyringStore.delete(self.endpoint)


def main():
    tool = {"flytekit": Flytekit, "flyte-sdk": FlyteSDK}[sys.argv[1]](sys.argv[2])
    print(json.dumps({"ok": True, "ready": True}), flush=True)
    for line in sys.stdin:
        req = json.loads(line)
        try:
            cmd = req["cmd"]
            if cmd == "login":
                out = {"sha": sha(tool.login())}
            elif cmd == "refresh":
                out = {"sha": sha(tool.refresh())}
            elif cmd == "header":
                token = tool.header()
                out = {"sha": sha(token) if token else None}
            elif cmd == "logout":
                tool.logout()
                out = {}
            elif cmd == "plant":
                tool.plant(req["access_token"], req["refresh_token"])
                out = {}
            else:
                raise ValueError("unknown command " + cmd)
            out["ok"] = True
        except Exception as e:  # reported, never with a token: messages name the step
            out = {"ok": False, "error": type(e).__name__, "message": str(e)[:300]}
        print(json.dumps(out), flush=True)


if __name__ == "__main__":
    main()
