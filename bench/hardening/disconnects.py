"""stderr bytes written by `consentry serve` for N clients that hang up mid-upload to /revoke."""

import socket
import sys
import time

import httpx
from served import serve

src, n = sys.argv[1], int(sys.argv[2])
server = serve(src)
port, url = server.port, server.url
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
log = server.stop()
print(
    f"src={src} {n} hang-ups: stderr {len(log)} bytes, {log.count('Traceback')} tracebacks,",
    f"healthz {h} in {lat * 1000:.0f} ms",
)
