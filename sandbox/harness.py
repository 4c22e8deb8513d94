"""One loopback HTTP server hosting every sandbox service.

Services plug in routes; the harness does what all of them share: routing (trailing slashes
accepted), request counting by route, scripted faults, latency, the movable clock and the
`/_sandbox/<name>` control endpoints the services and `sandbox.start_sandbox` register.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
import json
import re
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable, Protocol
from urllib.parse import parse_qs, urlsplit


@dataclass
class Request:
    method: str
    path: str
    route: str  # "METHOD /template", the key used by stats and faults
    path_params: dict[str, str]
    query: dict[str, str]
    headers: dict[str, str]
    body: bytes
    base_url: str  # scheme://host:port as the client reached us

    def json(self) -> Any:
        return json.loads(self.body) if self.body.strip() else None


@dataclass
class Response:
    status: int = 200
    body: Any = None  # dict/list -> JSON; bytes/str -> sent as is; None -> empty
    headers: dict[str, str] = field(default_factory=dict)
    violation: bool = False  # the request broke a documented rate limit (counted in stats)


Handler = Callable[[Request], Response]


class Service(Protocol):
    name: str

    def routes(self) -> list[tuple[str, str, Handler]]: ...

    def before(self, request: Request) -> Response | None:
        """Checks every request of this service passes first (auth, quota, rate limits)."""

    def fault_response(self, fault: "Fault", request: Request) -> Response:
        """The error as this service would send it."""


@dataclass
class Fault:
    route: str
    times: int = 1
    status: int = 500
    apply: bool = False
    retry_after: int | None = None
    reason: str | None = None
    delay_ms: int = 0


class Clock:
    """Wall time plus an offset the control endpoint can advance."""

    def __init__(self) -> None:
        self.offset = 0.0

    def now(self) -> float:
        return time.time() + self.offset

    def advance(self, seconds: float) -> None:
        self.offset += seconds


class RateWindow:
    """A sliding window limit: at most `limit` requests per `seconds`."""

    def __init__(self, limit: int, seconds: float) -> None:
        self.limit, self.seconds = limit, seconds
        self.stamps: list[float] = []

    def hit(self, now: float) -> float:
        """Admit a request: 0 when within the limit (it is counted), else the seconds until one
        would be (a refused request does not use the window)."""
        self.stamps = [t for t in self.stamps if now - t < self.seconds]
        if len(self.stamps) < self.limit:
            self.stamps.append(now)
            return 0.0
        return self.seconds - (now - self.stamps[-self.limit])


def _compile(template: str) -> re.Pattern[str]:
    return re.compile("^" + re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", template) + "$")


class Sandbox:
    """The shared server state: services, clock, counters, faults."""

    def __init__(self, services: list[Service], clock: Clock, latency_ms: int = 0) -> None:
        self.lock = threading.RLock()
        self.clock = clock
        self.services = services
        self.latency_ms = latency_ms
        self.faults: list[Fault] = []
        self.reset_stats()
        self._routes: list[tuple[str, str, re.Pattern[str], Handler, Service]] = [
            (method, template, _compile(template), handler, service)
            for service in services
            for method, template, handler in service.routes()
        ]
        self._controls: dict[str, Callable[[Request], Response]] = {}

    def reset_stats(self) -> None:
        self.requests: Counter[str] = Counter()
        self.by_service: Counter[str] = Counter({s.name: 0 for s in getattr(self, "services", [])})
        self.violations: Counter[str] = Counter()

    def add_control(self, method: str, name: str, handler: Callable[[Request], Response]) -> None:
        self._controls[f"{method} /_sandbox/{name}"] = handler

    def stats(self) -> dict[str, Any]:
        return {
            "total": sum(self.requests.values()),
            "requests": dict(self.requests),
            "by_service": dict(self.by_service),
            "violations": dict(self.violations),
        }

    def add_faults(self, faults: list[dict[str, Any]]) -> None:
        self.faults.extend(Fault(**f) for f in faults)

    def _take_fault(self, route: str) -> Fault | None:
        for fault in self.faults:
            if fault.route == route and fault.times > 0:
                fault.times -= 1
                if fault.times == 0:
                    self.faults.remove(fault)
                return fault
        return None

    def match(self, method: str, path: str) -> tuple[str, dict[str, str], Handler, Service] | None:
        path = path.rstrip("/") or "/"
        for m, template, pattern, handler, service in self._routes:
            found = pattern.match(path)
            if m == method and found:
                return f"{method} {template}", found.groupdict(), handler, service
        return None

    def handle(self, method: str, raw_path: str, headers: dict[str, str], body: bytes, base_url: str) -> Response:
        parts = urlsplit(raw_path)
        query = {k: v[-1] for k, v in parse_qs(parts.query, keep_blank_values=True).items()}
        control = self._controls.get(f"{method} {parts.path.rstrip('/')}")
        if control:
            request = Request(method, parts.path, "control", {}, query, headers, body, base_url)
            with self.lock:
                return control(request)
        found = self.match(method, parts.path)
        if not found:
            return Response(404, {"error": {"status": 404, "message": "Service not found"}})
        route, params, handler, service = found
        request = Request(method, parts.path, route, params, query, headers, body, base_url)
        with self.lock:
            self.requests[route] += 1
            self.by_service[service.name] += 1
            fault = self._take_fault(route)
        delay = self.latency_ms + (fault.delay_ms if fault else 0)
        if delay:
            time.sleep(delay / 1000)
        with self.lock:
            if fault and fault.status < 400:
                fault = None  # a pure latency fault
            if fault and not fault.apply:
                return service.fault_response(fault, request)
            response = service.before(request) or handler(request)
            if response.violation:
                self.violations[service.name] += 1
            if fault and response.status < 400:
                return service.fault_response(fault, request)
            return response


class _HTTPHandler(BaseHTTPRequestHandler):
    sandbox: Sandbox
    protocol_version = "HTTP/1.1"
    # Headers and body go out in two writes; with Nagle on, the body waits for the client's
    # delayed ACK (~40 ms per small response on Linux loopback).
    disable_nagle_algorithm = True

    def log_message(self, format: str, *args: Any) -> None:  # quiet: tests read stats, not logs
        pass

    def _serve(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        host = self.headers.get("Host") or f"{self.server.server_address[0]}:{self.server.server_address[1]}"
        headers = {k.lower(): v for k, v in self.headers.items()}
        response = self.sandbox.handle(self.command, self.path, headers, body, f"http://{host}")
        self._send(response)

    def _send(self, response: Response) -> None:
        body = response.body
        headers = dict(response.headers)
        if isinstance(body, (dict, list)):
            payload = json.dumps(body).encode()
            headers.setdefault("Content-Type", "application/json; charset=utf-8")
        elif isinstance(body, str):
            payload = body.encode()
        else:
            payload = body or b""
        self.send_response(response.status)
        for key, value in headers.items():
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(payload)

    do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = _serve


class SandboxHTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True


def serve(sandbox: Sandbox, host: str = "127.0.0.1", port: int = 0) -> SandboxHTTPServer:
    """Bind a server for `sandbox` (port 0 = ephemeral); the caller runs serve_forever."""
    handler = type("Handler", (_HTTPHandler,), {"sandbox": sandbox})
    return SandboxHTTPServer((host, port), handler)


class IndexedService(ABC):
    """A rate-limited lookup service whose indexes follow the world's library (rebuilt when it changes)."""

    def __init__(self, world, rate_limit: tuple[int, float]):
        self.world = world
        self.window = RateWindow(*rate_limit)
        self.generation = -1

    def _sync(self) -> None:
        if self.generation != self.world.generation:
            self._index(self.world.library)
            self.generation = self.world.generation

    @abstractmethod
    def _index(self, library) -> None:
        """Build the service's lookup indexes from the library."""

