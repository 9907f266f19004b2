"""Subscribing to memhook's /events stream (Server-Sent Events) instead of serving webhooks."""
import http.client
import json
import logging
import socket
import threading
import urllib.parse

from .event import Event

log = logging.getLogger("memhook")

MAX_LINE_BYTES = 64 * 1024     # memhook's events are well under 2 KiB
MAX_RETRY_S = 30.0             # reconnection backs off up to this


class Subscription:
    """Reads url's events into the receiver from a thread, reconnecting with Last-Event-ID (the
    last id read) after retry_s (doubling, at most MAX_RETRY_S; a `retry:` field sets it)."""

    def __init__(self, rx, url, retry_s=1.0, read_timeout_s=45.0, headers=None):
        u = urllib.parse.urlsplit(url)
        if u.scheme not in ("http", "https") or not u.hostname:
            raise ValueError(f"not an http(s) URL: {url!r}")
        self.rx, self.url, self._u = rx, url, u
        self.retry_s = retry_s
        self.read_timeout_s = read_timeout_s
        self.headers = dict(headers or {})
        self.last_event_id = None
        self.connects = 0                  # successful connections so far
        self.connected = threading.Event()
        self._closed = threading.Event()
        self._sock = None
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._run, name="memhook-subscribe", daemon=True)
        self._lost = 0                     # an `event: lost` count for the next event

    def start(self):
        self._thread.start()
        return self

    def wait_connected(self, timeout_s=None):
        return self.connected.wait(timeout_s)

    def join(self, timeout_s=None):
        self._thread.join(timeout_s)

    def close(self):
        self._closed.set()
        with self._lock:
            sock = self._sock
        if sock is not None:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        self._thread.join(5)

    def _run(self):
        delay = self.retry_s
        while not self._closed.is_set():
            try:
                if self._read_stream():
                    delay = self.retry_s       # it was connected: start the backoff again
            except (OSError, http.client.HTTPException) as e:
                if not self._closed.is_set():
                    log.warning("stream %s: %s", self.url, e)
            except Exception:
                log.exception("stream %s failed", self.url)
            self.connected.clear()
            if self._closed.wait(delay):
                return
            log.info("stream %s: reconnecting (Last-Event-ID: %s)", self.url,
                     self.last_event_id)
            delay = min(delay * 2, MAX_RETRY_S)

    def _read_stream(self):
        """Reads one connection to its end; True when it was connected."""
        u = self._u
        cls = http.client.HTTPSConnection if u.scheme == "https" else http.client.HTTPConnection
        conn = cls(u.hostname, u.port, timeout=self.read_timeout_s)
        resp = None
        try:
            conn.connect()
            with self._lock:
                # the response keeps the socket after conn lets it go: close() shuts it down
                self._sock = conn.sock
            if self._closed.is_set():
                return False
            headers = {"Accept": "text/event-stream", "Cache-Control": "no-cache", **self.headers}
            if self.last_event_id is not None:
                headers["Last-Event-ID"] = self.last_event_id
            path = (u.path or "/") + (f"?{u.query}" if u.query else "")
            conn.request("GET", path, headers=headers)
            resp = conn.getresponse()
            if resp.status != 200:
                log.warning("stream %s: HTTP %d", self.url, resp.status)
                return False
            self.connects += 1
            log.info("subscribed to %s", self.url)
            self.connected.set()
            self._read_events(resp)
            if not self._closed.is_set():
                log.warning("stream %s ended", self.url)
            return True
        finally:
            with self._lock:
                self._sock = None
            if resp is not None:
                resp.close()
            conn.close()

    def _read_events(self, resp):
        kind, data, ev_id = "message", [], None
        while not self._closed.is_set():
            raw = resp.readline(MAX_LINE_BYTES + 1)
            if not raw:
                return
            if len(raw) > MAX_LINE_BYTES:
                raise http.client.HTTPException("a line over 64 KiB")
            line = raw.decode("utf-8", "replace").rstrip("\r\n")
            if not line:
                if data:
                    self._dispatch(kind, "\n".join(data), ev_id)
                kind, data, ev_id = "message", [], None
                continue
            if line.startswith(":"):
                continue
            field, _, value = line.partition(":")
            value = value[1:] if value.startswith(" ") else value
            if field == "event":
                kind = value
            elif field == "data":
                data.append(value)
            elif field == "id" and "\0" not in value:
                ev_id = value
            elif field == "retry" and value.isdigit():
                self.retry_s = int(value) / 1000

    def _dispatch(self, kind, data, ev_id):
        if ev_id is not None:
            self.last_event_id = ev_id
        try:
            payload = json.loads(data)
        except ValueError:
            log.warning("stream %s: %s event whose data is not JSON: ignored", self.url, kind)
            return
        if kind == "lost":
            n = payload.get("lost") if isinstance(payload, dict) else None
            n = n if isinstance(n, int) and n > 0 else 1
            log.warning("stream %s: memhook lost %d event(s) for this subscriber (instance %s)",
                        self.url, n, payload.get("instance") if isinstance(payload, dict) else "?")
            self._lost += n
            return
        if not isinstance(payload, dict) or not isinstance(payload.get("event"), str):
            log.warning("stream %s: %s event that is no memhook event: ignored", self.url, kind)
            return
        ev = Event(payload)
        if self._lost:
            # the next event is applied at once and the loss reported with its seq
            ev["dropped_before"] = ev.dropped_before + self._lost
            self._lost = 0
        # wait for room: a slow handler slows the reading; memhook cuts a subscriber too far
        # behind, and the reconnection's Last-Event-ID gets the rest from its ring
        while not self._closed.is_set() and not self.rx._dispatcher.wait_room(1.0):
            pass
        self.rx.offer(ev)
