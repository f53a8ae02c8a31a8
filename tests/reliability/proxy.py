"""A small fault-injecting HTTP proxy for tests: it sits between the HTTP backend and a real
``flowbuilder serve`` and, per request, passes it, delays the answer, or drops the connection
before the request reaches the server or after the server has answered it."""

from __future__ import annotations

import contextlib
import random
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

#: What the proxy does with one request.
PASS = "pass"
DROP_BEFORE = "drop-before"  # close the client's connection; the server never sees the request
DROP_AFTER = "drop-after"  # forward it, read the server's answer, then close without relaying it
DELAY = "delay"  # forward it and relay the answer ``delay`` seconds later

Rule = Callable[[str, str], str]


@dataclass
class Seen:
    """One request as the proxy saw it, and what it did."""

    method: str
    path: str
    action: str
    status: int | None = None


@dataclass
class FaultProxy:
    """Listens on a free loopback port and forwards to ``upstream`` (``host``, ``port``).

    ``rule(method, path)`` picks the action for each request (default: pass everything).
    """

    upstream: tuple[str, int]
    rule: Rule = lambda method, path: PASS
    delay: float = 0.0
    seen: list[Seen] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._server = socket.create_server(("127.0.0.1", 0))
        self._server.settimeout(0.2)
        self.url = f"http://127.0.0.1:{self._server.getsockname()[1]}"
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    def __enter__(self) -> FaultProxy:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._stop.set()
        self._thread.join(5)
        self._server.close()

    def actions(self, method: str | None = None) -> list[str]:
        """The actions taken, for requests of ``method`` (all when None)."""
        with self._lock:
            return [s.action for s in self.seen if method is None or s.method == method]

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                client, _ = self._server.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            threading.Thread(target=self._serve, args=(client,), daemon=True).start()

    def _serve(self, client: socket.socket) -> None:
        with client:
            client.settimeout(30)
            request = _read_message(client, request=True)
            if request is None:
                return
            head, body = request
            method, target = head.split(b" ", 2)[:2]
            path = target.decode("latin-1").split("?", 1)[0]
            action = self.rule(method.decode(), path)
            seen = Seen(method.decode(), path, action)
            with self._lock:
                self.seen.append(seen)
            if action == DROP_BEFORE:
                _reset(client)
                return
            with socket.create_connection(self.upstream, timeout=30) as upstream:
                upstream.sendall(_close_after(head) + body)
                answer = _read_message(upstream, request=False)
            if answer is None:
                _reset(client)
                return
            seen.status = int(answer[0].split(b" ", 2)[1])
            if action == DROP_AFTER:
                _reset(client)
                return
            if action == DELAY:
                time.sleep(self.delay)
            with contextlib.suppress(OSError):  # the client may have given up waiting: what delays are for
                client.sendall(answer[0] + answer[1])


def _reset(connection: socket.socket) -> None:
    """Close abruptly (RST), as a crashed peer or a broken network does."""
    connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
    connection.close()


def _close_after(head: bytes) -> bytes:
    lines = [line for line in head.split(b"\r\n") if not line.lower().startswith(b"connection:")]
    return b"\r\n".join([*lines[:-2], b"Connection: close", b"", b""])


def _read_message(connection: socket.socket, *, request: bool) -> tuple[bytes, bytes] | None:
    """One HTTP message: (head including the blank line, body); None when the peer closed."""
    data = b""
    while b"\r\n\r\n" not in data:
        try:
            chunk = connection.recv(65536)
        except OSError:
            return None
        if not chunk:
            return None
        data += chunk
    head, _, rest = data.partition(b"\r\n\r\n")
    head += b"\r\n\r\n"
    length = 0
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value.strip())
    if not request and head.split(b" ", 2)[1] in (b"204", b"304"):
        length = 0
    while len(rest) < length:
        try:
            chunk = connection.recv(65536)
        except OSError:
            return None
        if not chunk:
            return None
        rest += chunk
    return head, rest[:length]


def scripted(*actions: str, method: str | None = None) -> Rule:
    """A rule applying ``actions`` in order to the requests of ``method`` (all when None), then
    passing everything."""
    queue = list(actions)
    lock = threading.Lock()

    def rule(seen_method: str, path: str) -> str:
        with lock:
            if queue and (method is None or seen_method == method):
                return queue.pop(0)
        return PASS

    return rule


def chaos(seed: int, rate: float, actions: tuple[str, ...] = (DROP_BEFORE, DROP_AFTER, DELAY)) -> Rule:
    """A rule that, with probability ``rate``, applies a random one of ``actions`` (seeded)."""
    chance = random.Random(seed)
    lock = threading.Lock()

    def rule(method: str, path: str) -> str:
        with lock:
            return chance.choice(actions) if chance.random() < rate else PASS

    return rule
