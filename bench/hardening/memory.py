"""Peak RSS of a `consentry serve` child while N clients POST big bodies to /revoke.

usage: measure.py SRC_DIR [N] [MB]
"""

from __future__ import annotations

import socket
import sys
import threading
import time

import httpx
from served import serve

src = sys.argv[1]
n = int(sys.argv[2]) if len(sys.argv) > 2 else 4
mb = int(sys.argv[3]) if len(sys.argv) > 3 else 50
chunked = len(sys.argv) > 4 and sys.argv[4] == "chunked"

server = serve(src)
proc, port, url = server.proc, server.port, server.url


def status(key: str) -> int:
    with open(f"/proc/{proc.pid}/status") as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1]) // 1024
    return -1


before = status("VmHWM")
body = b"token=" + b"a" * (mb * 1024 * 1024)
results: list[str] = []


def post() -> None:
    start = time.monotonic()
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=60) as sock:
            framing = "Transfer-Encoding: chunked" if chunked else f"Content-Length: {len(body)}"
            head = (
                "POST /revoke HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                "Content-Type: application/x-www-form-urlencoded\r\n"
                f"{framing}\r\n\r\n"
            ).encode()
            sock.sendall(head)
            try:
                if chunked:
                    step = 1 << 20
                    for i in range(0, len(body), step):
                        part = body[i : i + step]
                        sock.sendall(b"%x\r\n" % len(part) + part + b"\r\n")
                    sock.sendall(b"0\r\n\r\n")
                else:
                    sock.sendall(body)
            except OSError as e:
                results.append(f"send stopped: {e.__class__.__name__}")
            reply = sock.recv(200).split(b"\r\n")[0].decode()
            results.append(f"{reply} in {time.monotonic() - start:.2f}s")
    except OSError as e:
        results.append(f"error {e!r} in {time.monotonic() - start:.2f}s")


threads = [threading.Thread(target=post) for _ in range(n)]
t0 = time.monotonic()
for t in threads:
    t.start()
for t in threads:
    t.join()
elapsed = time.monotonic() - t0
time.sleep(0.3)
after = status("VmHWM")
health = httpx.get(url + "/healthz", timeout=5).status_code
log = server.stop()
print(
    f"src={src} {'chunked ' if chunked else ''}{n}x{mb}MB POST /revoke:",
    f"VmHWM before={before} MB after={after} MB; {elapsed:.2f}s total",
)
print("replies:", results)
print("healthz:", health, "| stderr lines:", len(log.splitlines()), "| tracebacks:", log.count("Traceback"))
