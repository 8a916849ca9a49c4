"""A long-running libflyteauth process (the Python binding), driven line by line.

    python lf_driver.py SETTINGS_JSON
    stdin: {"cmd": "token"} | {"cmd": "reject"} | {"cmd": "refresh"}
    stdout: one JSON line per command: ok, sha (short SHA-256 of the token), expires_at

`reject` reports the token this process holds as rejected by a server (what a gRPC or
HTTP adapter does after UNAUTHENTICATED / 401) and answers the token it gets instead.
Tokens never appear, only their hashes.
"""
import hashlib
import json
import sys

import flyteauth


def sha(token):
    return hashlib.sha256(token.encode()).hexdigest()[:12]


def main():
    client = flyteauth.Client(json.loads(sys.argv[1]))
    held = None
    print(json.dumps({"ok": True, "ready": True}), flush=True)
    for line in sys.stdin:
        cmd = json.loads(line)["cmd"]
        try:
            if cmd == "token":
                t = client.token()
                held = t.access_token
            elif cmd == "reject":
                client.refresh(rejected=held)
                t = client.token()
            elif cmd == "refresh":
                client.refresh()
                t = client.token()
            else:
                raise ValueError("unknown command " + cmd)
            held = t.access_token
            out = {"ok": True, "sha": sha(held), "expires_at": t.expires_at.timestamp() if t.expires_at else None}
        except flyteauth.FlyteAuthError as e:  # the message names the step, never a token
            out = {"ok": False, "error": type(e).__name__, "message": str(e)[:300]}
        print(json.dumps(out), flush=True)


if __name__ == "__main__":
    main()
