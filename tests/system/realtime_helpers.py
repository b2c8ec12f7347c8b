"""WebSocket subscribers for the realtime tests, with Debian's
python3-websockets (10.4, asyncio) as the real client.

A Subscriber lives on one background event loop (shared by all), so a test
written as plain synchronous code can hold many sockets, make REST calls
between, and read what each socket received:

    s = Subscriber.connect(server, token)
    s.subscribe([channel])            # -> the "subscribed" message
    ... REST calls ...
    events = s.events(timeout=2)      # every message that came, parsed
    s.close()
"""

import asyncio
import json
import queue
import threading
import time

import websockets

_loop = None
_lock = threading.Lock()


def loop():
    """The background event loop the subscribers live on."""
    global _loop
    with _lock:
        if _loop is None:
            _loop = asyncio.new_event_loop()
            threading.Thread(target=_loop.run_forever, daemon=True).start()
        return _loop


def run(make, timeout=30):
    """Run an awaitable on the background loop and wait for its result;
    make is the awaitable, or a function that makes it there (websockets
    binds a connection to the loop it is made on)."""
    async def go():
        return await (make() if callable(make) else make)
    return asyncio.run_coroutine_threadsafe(go(), loop()).result(timeout)


def ws_url(server, query=""):
    scheme = "wss" if server.tls else "ws"
    return "%s://%s:%d/api/v1/realtime%s" % (scheme, server.host, server.port, query)


class Subscriber:
    """One WebSocket: every message it receives lands in a queue."""

    def __init__(self, ws):
        self.ws = ws
        self.inbox = queue.Queue()
        self.closed = threading.Event()
        self.close_code = None
        self.close_reason = None
        self.task = asyncio.run_coroutine_threadsafe(self._read(), loop())

    async def _read(self):
        try:
            async for m in self.ws:
                self.inbox.put(json.loads(m))
        except websockets.ConnectionClosed:
            pass
        finally:
            self.close_code = self.ws.close_code
            self.close_reason = self.ws.close_reason
            self.closed.set()

    @classmethod
    def connect(cls, server, token=None, ticket=None, headers=None, **kw):
        h = dict(headers or {})
        if token:
            h["Authorization"] = "Bearer " + token
        url = ws_url(server, "?ticket=" + ticket if ticket else "")
        if server.tls:
            import ssl
            ctx = ssl.create_default_context()
            ctx.check_hostname = False
            ctx.verify_mode = ssl.CERT_NONE
            kw["ssl"] = ctx
        ws = run(lambda: websockets.connect(url, extra_headers=h, max_size=2 ** 22, **kw))
        return cls(ws)

    def send(self, obj):
        run(lambda: self.ws.send(json.dumps(obj) if not isinstance(obj, str) else obj))

    def next(self, timeout=5.0, where=None):
        """The next message (that satisfies where), or AssertionError."""
        deadline = time.time() + timeout
        while True:
            left = deadline - time.time()
            if left <= 0:
                raise AssertionError("no message came within %.1f s" % timeout)
            try:
                m = self.inbox.get(timeout=left)
            except queue.Empty:
                continue
            if where is None or where(m):
                return m

    def subscribe(self, channels, since=None, timeout=10.0):
        """Subscribe; returns (subscribed message, [error messages before it])."""
        msg = {"type": "subscribe", "channels": list(channels)}
        if since is not None:
            msg["since"] = since
        self.send(msg)
        errors = []
        while True:
            m = self.next(timeout)
            if m["type"] == "subscribed":
                return m, errors
            errors.append(m)

    def drain(self, timeout=1.0, until=None):
        """Every message that comes within timeout (or until until(m))."""
        out, deadline = [], time.time() + timeout
        while time.time() < deadline:
            try:
                m = self.inbox.get(timeout=max(0.01, deadline - time.time()))
            except queue.Empty:
                continue
            out.append(m)
            if until and until(m):
                break
        return out

    def events(self, timeout=1.0):
        return [m for m in self.drain(timeout) if m["type"] == "event"]

    def wait_closed(self, timeout=5.0):
        assert self.closed.wait(timeout), "the socket did not close within %.1f s" % timeout
        return self.close_code

    def close(self):
        try:
            run(lambda: self.ws.close(), timeout=5)
        except Exception:
            pass


def ticket(server, token):
    r = server.post("realtime/tickets", token=token)
    assert r.status_code == 201, r.text
    return r.json()["ticket"]
