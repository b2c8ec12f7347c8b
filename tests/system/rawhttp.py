"""Raw-socket HTTP helpers for tests that must see the bytes on the wire
(framing, timeouts, connection closes), where requests would hide them."""

import socket
import time


def read_response(s, head_only=False, buf=b""):
    """Read one HTTP response from socket s; returns (status, headers, body, rest)."""
    while b"\r\n\r\n" not in buf:
        b = s.recv(65536)
        if not b:
            raise EOFError("closed before a response; had %r" % buf)
        buf += b
    head, buf = buf.split(b"\r\n\r\n", 1)
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ")[1])
    headers = {}
    for line in lines[1:]:
        k, v = line.split(":", 1)
        headers[k.strip().lower()] = v.strip()
    n = 0 if head_only else int(headers.get("content-length", "0"))
    while len(buf) < n:
        b = s.recv(65536)
        if not b:
            raise EOFError("closed inside a body")
        buf += b
    return status, headers, buf[:n], buf[n:]


def wait_closed(s, seconds):
    """Seconds until the peer closes s (EOF or reset), or None if it stays open."""
    t0 = time.monotonic()
    s.settimeout(seconds)
    try:
        while True:
            b = s.recv(65536)
            if not b:
                return time.monotonic() - t0
    except socket.timeout:
        return None
    except ConnectionResetError:
        return time.monotonic() - t0


def refused(port):
    """True when a new connection to port is refused."""
    try:
        socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
        return False
    except OSError:
        return True
