"""One soak process: THREADS threads of one libflyteauth client (the Python binding)
asking for the token every PAUSE seconds until SECONDS have passed; prints one JSON line
of figures. Tokens never appear.

    python soak_worker.py SETTINGS_JSON THREADS SECONDS PAUSE
"""
import json
import sys
import threading
import time

import flyteauth


def main():
    settings, threads, seconds, pause = json.loads(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3]), float(sys.argv[4])
    client = flyteauth.Client(settings)
    end = time.monotonic() + seconds
    lock = threading.Lock()
    figures = {"calls": 0, "errors": {}, "login_required": 0, "slowest_ms": 0.0, "tokens": 0}
    seen = set()

    def run():
        while time.monotonic() < end:
            start = time.monotonic()
            try:
                token = client.token().access_token
                error = None
            except flyteauth.AccessTokenNotFoundError:
                token, error = None, "login required"
            except flyteauth.FlyteAuthError as e:
                token, error = None, type(e).__name__ + ": " + str(e)[:160]
            took = (time.monotonic() - start) * 1000
            with lock:
                figures["calls"] += 1
                figures["slowest_ms"] = max(figures["slowest_ms"], took)
                if error == "login required":
                    figures["login_required"] += 1
                elif error:
                    figures["errors"][error] = figures["errors"].get(error, 0) + 1
                if token is not None and hash(token) not in seen:
                    seen.add(hash(token))
                    figures["tokens"] += 1
            time.sleep(pause)

    workers = [threading.Thread(target=run) for _ in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    client.close()
    figures["slowest_ms"] = round(figures["slowest_ms"], 1)
    print(json.dumps(figures), flush=True)


if __name__ == "__main__":
    main()
