"""stderr bytes written by `consentry serve` for N clients that hang up mid-upload to /revoke."""

import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

src, n = sys.argv[1], int(sys.argv[2])
tmp = tempfile.mkdtemp()
db = f"sqlite:///{tmp}/c.db"
env = {
    **os.environ,
    "PYTHONPATH": src,
    "CONSENTRY_DATABASE_URL": db,
    "CONSENTRY_ENVIRONMENT": "test",
    "CONSENTRY_JANITOR_INTERVAL": "0",
}
py = sys.executable
subprocess.run([py, "-m", "consentry.cli.main", "db", "upgrade"], env=env, check=True, capture_output=True)
with socket.socket() as s:
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
err = open(f"{tmp}/stderr.log", "wb")  # noqa: SIM115 (the server writes it until terminated)
proc = subprocess.Popen(
    [py, "-m", "consentry.cli.main", "serve", "--port", str(port), "--workers", "1"],
    env=env,
    stderr=err,
    stdout=subprocess.DEVNULL,
)
url = f"http://127.0.0.1:{port}"
for _ in range(300):
    try:
        if httpx.get(url + "/healthz", timeout=1).status_code == 200:
            break
    except httpx.HTTPError:
        time.sleep(0.1)
for _ in range(n):
    s = socket.create_connection(("127.0.0.1", port))
    s.sendall(
        b"POST /revoke HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\n"
        b"Content-Length: 100000\r\n\r\ntoken=" + b"a" * 1000
    )
    s.close()
time.sleep(1)
t = time.monotonic()
h = httpx.get(url + "/healthz", timeout=30).status_code
lat = time.monotonic() - t
proc.terminate()
proc.wait(10)
err.close()
log = Path(f"{tmp}/stderr.log").read_text()
print(
    f"src={src} {n} hang-ups: stderr {len(log)} bytes, {log.count('Traceback')} tracebacks,",
    f"healthz {h} in {lat * 1000:.0f} ms",
)
