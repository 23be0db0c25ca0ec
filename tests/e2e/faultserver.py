"""A small misbehaving HTTP server on loopback, standing in for the backend in fault and sandbox tests.

`FaultServer` records every request it receives (method, raw request target, headers, body) and
answers each with its current `behaviour`: a function given the connected socket and the request.
The behaviours below cover the faults a broken backend can produce: answers of any status and
body, silence, a trickle, a truncated or reset body, an endless body, a redirect, and a kept-alive
connection reset when it is reused. A connection serves one request, unless its behaviour reads
the next one itself.
"""

from __future__ import annotations

import json
import socket
import struct
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

READ_LIMIT = 1 << 20
"""Most bytes of one request this server reads (head and body)."""


@dataclass
class Request:
    """One request as the server received it."""

    method: str
    target: str
    """The raw request target (path and query, still percent-encoded)."""
    headers: dict[str, str]
    body: bytes

    @property
    def path(self) -> str:
        """The target without its query."""
        return self.target.split("?", 1)[0]


Behaviour = Callable[[socket.socket, Request], None]


@dataclass
class Stats:
    """What the behaviours observed, for assertions."""

    peer_closed: int = 0
    """Connections the client closed while a behaviour waited or wrote."""
    body_bytes_sent: list[int] = field(default_factory=list)
    """Body bytes written per streamed answer before it stopped."""
    resets_on_reuse: int = 0
    """Kept-alive connections reset when a next request came on them."""


class FaultServer:
    """A loopback HTTP/1.1 server (one thread per connection) answering with `behaviour`."""

    def __init__(self, behaviour: Behaviour | None = None) -> None:
        self.behaviour: Behaviour = behaviour or healthy()
        self.requests: list[Request] = []
        self.stats = Stats()
        self._lock = threading.Lock()
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._stopping = threading.Event()
        self._connections: list[socket.socket] = []
        self._threads: list[threading.Thread] = []
        self.port: int = self._listener.getsockname()[1]

    @property
    def origin(self) -> str:
        """`http://127.0.0.1:PORT`."""
        return f"http://127.0.0.1:{self.port}"

    @property
    def api_url(self) -> str:
        """The base URL with the API prefix, as `KTRDR_API_URL` carries it."""
        return f"{self.origin}/api/v1"

    def __enter__(self) -> FaultServer:
        accept = threading.Thread(target=self._accept, daemon=True)
        accept.start()
        self._threads.append(accept)
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stopping.set()
        try:
            self._listener.shutdown(socket.SHUT_RDWR)  # wakes the blocked accept()
        except OSError:
            pass
        self._listener.close()
        with self._lock:
            for connection in self._connections:
                _close_quietly(connection)
        for thread in list(self._threads):
            thread.join(timeout=10)

    def seen(self) -> list[Request]:
        """A copy of the requests received so far."""
        with self._lock:
            return list(self.requests)

    def note_peer_closed(self) -> None:
        with self._lock:
            self.stats.peer_closed += 1

    def record(self, request: Request) -> None:
        with self._lock:
            self.requests.append(request)

    def note_reset_on_reuse(self) -> None:
        with self._lock:
            self.stats.resets_on_reuse += 1

    def note_body_sent(self, count: int) -> None:
        with self._lock:
            self.stats.body_bytes_sent.append(count)

    def stopping(self) -> bool:
        """Whether the server is shutting down (long behaviours stop then)."""
        return self._stopping.is_set()

    def _accept(self) -> None:
        while not self._stopping.is_set():
            try:
                connection, _ = self._listener.accept()
            except OSError:
                return
            with self._lock:
                self._connections.append(connection)
            thread = threading.Thread(target=self._serve, args=(connection,), daemon=True)
            thread.start()
            self._threads.append(thread)

    def _serve(self, connection: socket.socket) -> None:
        try:
            request = _read_request(connection)
            if request is None:
                return
            self.record(request)
            behaviour = self.behaviour
            behaviour(connection, request)
        except OSError:
            pass
        finally:
            _close_quietly(connection)


def _close_quietly(connection: socket.socket) -> None:
    try:
        connection.close()
    except OSError:
        pass


def _read_request(connection: socket.socket) -> Request | None:
    """Reads one request (head, then a `content-length` body); `None` if the client sent none."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = connection.recv(65536)
        if not chunk:
            return None
        data += chunk
        if len(data) > READ_LIMIT:
            return None
    head, body = data.split(b"\r\n\r\n", 1)
    lines = head.decode("latin-1").split("\r\n")
    method, target, _version = lines[0].split(" ", 2)
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    length = min(int(headers.get("content-length", "0") or 0), READ_LIMIT)
    while len(body) < length:
        chunk = connection.recv(65536)
        if not chunk:
            break
        body += chunk
    return Request(method, target, headers, body)


def _head(
    status: int,
    content_type: str | None,
    length: int | None,
    extra: dict[str, str] | None = None,
    keep_alive: bool = False,
) -> bytes:
    lines = [f"HTTP/1.1 {status} Status{status}"] + ([] if keep_alive else ["connection: close"])
    if content_type is not None:
        lines.append(f"content-type: {content_type}")
    if length is not None:
        lines.append(f"content-length: {length}")
    lines += [f"{name}: {value}" for name, value in (extra or {}).items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


def _payload(body: bytes | str | Any) -> bytes:
    """`body` as bytes; a body that is not bytes or str as JSON."""
    if isinstance(body, str):
        return body.encode()
    if isinstance(body, bytes):
        return body
    return json.dumps(body).encode()


def answer(
    status: int, body: bytes | str | Any, content_type: str = "application/json", headers: dict[str, str] | None = None
) -> Behaviour:
    """A complete answer; a body that is not bytes or str is sent as JSON."""
    payload = _payload(body)

    def behave(connection: socket.socket, _request: Request) -> None:
        connection.sendall(_head(status, content_type, len(payload), headers) + payload)

    return behave


def answer_then_reset_on_reuse(server: FaultServer, status: int, body: bytes | str | Any) -> Behaviour:
    """What uvicorn does after an unhandled error: a complete answer that keeps the connection
    alive (no `Connection: close`), then, when the next request arrives on that connection, a
    reset (TCP RST) without a byte of answer. The next request is recorded and counted."""
    payload = _payload(body)

    def behave(connection: socket.socket, _request: Request) -> None:
        connection.sendall(_head(status, "application/json", len(payload), keep_alive=True) + payload)
        connection.settimeout(30)
        following = _read_request(connection)
        if following is None:
            return
        server.record(following)
        server.note_reset_on_reuse()
        _reset_on_close(connection)

    return behave


def empty_listing() -> dict[str, Any]:
    """A valid `GET /operations` body with no operations."""
    return {"success": True, "data": [], "total_count": 0, "active_count": 0}


def healthy() -> Behaviour:
    """Answers every request with an empty operations listing (enough for `list_operations`)."""
    return answer(200, empty_listing())


def silent(server: FaultServer) -> Behaviour:
    """Reads the request and never answers; counts the client closing the connection."""

    def behave(connection: socket.socket, _request: Request) -> None:
        connection.settimeout(0.2)
        while not server.stopping():
            try:
                if connection.recv(4096) == b"":
                    server.note_peer_closed()
                    return
            except TimeoutError:
                continue

    return behave


def trickle(server: FaultServer, body: bytes, delay: float, head_at_once: bool = False) -> Behaviour:
    """A valid 200 answer sent one byte at a time, `delay` seconds apart (after the head, if
    `head_at_once`); stops when the client leaves."""

    def behave(connection: socket.socket, _request: Request) -> None:
        head = _head(200, "application/json", len(body))
        payload = head + body
        sent = 0
        if head_at_once:
            connection.sendall(head)
            sent = len(head)
        try:
            for index in range(sent, len(payload)):
                if server.stopping():
                    return
                connection.sendall(payload[index : index + 1])
                sent += 1
                time.sleep(delay)
        except OSError:
            server.note_peer_closed()
        finally:
            server.note_body_sent(max(0, sent - len(head)))

    return behave


def truncated(body: bytes, declared: int) -> Behaviour:
    """Declares `declared` body bytes, sends `body` (fewer), then closes the connection."""

    def behave(connection: socket.socket, _request: Request) -> None:
        connection.sendall(_head(200, "application/json", declared) + body)
        connection.shutdown(socket.SHUT_WR)

    return behave


def reset_mid_body(body: bytes) -> Behaviour:
    """Declares twice `body`'s length, sends `body`, then resets the connection (TCP RST)."""

    def behave(connection: socket.socket, _request: Request) -> None:
        connection.sendall(_head(200, "application/json", 2 * len(body)) + body)
        time.sleep(0.1)
        _reset_on_close(connection)

    return behave


def refuse() -> Behaviour:
    """Resets the connection as soon as the request has arrived, without any answer."""

    def behave(connection: socket.socket, _request: Request) -> None:
        _reset_on_close(connection)

    return behave


def _reset_on_close(connection: socket.socket) -> None:
    """Makes the coming close of `connection` a reset (TCP RST) instead of an orderly shutdown."""
    connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))


def endless(server: FaultServer, declared: int, chunk: bytes = b" " * 65536) -> Behaviour:
    """A 200 declaring `declared` body bytes, streamed until the client stops reading or leaves."""

    def behave(connection: socket.socket, _request: Request) -> None:
        connection.settimeout(5)
        sent = 0
        try:
            connection.sendall(_head(200, "application/json", declared))
            while sent < declared and not server.stopping():
                connection.sendall(chunk)
                sent += len(chunk)
        except OSError:
            server.note_peer_closed()
        finally:
            server.note_body_sent(sent)

    return behave
