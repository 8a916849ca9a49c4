"""One process using the flyteauth binding, for the keyring tests (run inside a private
Secret Service session). Prints one JSON line; tokens only as SHA-256 prefixes.

    python keyring_driver.py SETTINGS_JSON login|metadata|logout
"""
import hashlib
import json
import sys
import threading
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "src"))
sys.path.insert(0, str(HERE.parents[2] / "Tests" / "e2e"))

import flyteauth  # noqa: E402


def sha(value):
    return hashlib.sha256(value.encode()).hexdigest()[:12]


def main():
    settings = json.loads(sys.argv[1])
    action = sys.argv[2]
    out = {"ok": True}
    with flyteauth.Client(settings) as c:
        try:
            if action == "login":
                from harness import approve_pkce

                c.on_browser(lambda url: threading.Thread(target=approve_pkce, args=(url,), daemon=True).start())
                c.login()
            if action == "logout":
                c.logout()
            else:
                md = c.metadata()
                out["sha"] = sha(md[0][1][7:])
                out["source"] = c.status().get("token_source")
        except flyteauth.FlyteAuthError as e:
            out = {"ok": False, "error": type(e).__name__, "message": str(e)}
    print(json.dumps(out))


if __name__ == "__main__":
    main()
