"""The one small HTTP layer the enrichment clients share (Deezer, Last.fm, MusicBrainz).

It paces requests at a service's documented rate (a sliding-window limiter shared by every thread), sends an identifying
User-Agent with a timeout, retries only what the service calls retryable (with exponential backoff),
counts every request in the request ledger (service, endpoint, run and asset; no daily quota), and
offers helpers for awkward JSON (a single object where a list is expected, numbers sent as strings). Each client only says how its service answers: `classify`
turns a reply into found / missing / retry / fail. Time is injectable (`Timing`), so tests and
benchmarks can stand a movable clock in for real waiting.
"""

from __future__ import annotations

import threading
import time
from collections import Counter, deque
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any, Callable

import dagster as dg
import requests
from pydantic import Field

from resources.budget import Ledger
from resources.budget.attribution import current_step
from resources.clock import Clock, clock_or_real
from resources.environment import DATA_DIR

USER_AGENT = "mixtape/0.1 ( https://github.com/mixtape/mixtape )"


@dataclass(frozen=True)
class Timing:
    """Where a client reads the time and how it waits: real by default, a movable clock in tests."""

    clock: Callable[[], float] = time.monotonic
    sleep: Callable[[float], None] = time.sleep


class RateLimiter:
    """At most `limit` requests in any `per_s` seconds as the service counts them, however many
    threads share it. A request is taken to arrive when its answer is back (it cannot arrive later),
    so the window runs from then: no latency jitter, and no clock moved by another thread, can put
    more than `limit` arrivals in one window. `acquire` waits (through `timing`) for room and takes
    it; `release` says the answer is back."""

    def __init__(self, limit: int, per_s: float, timing: Timing) -> None:
        self.limit, self.per_s, self.timing = limit, per_s, timing
        self.answered: deque[float] = deque()  # when recent requests were answered, oldest first
        self.in_flight = 0
        self.waited_s = 0.0
        self.lock = threading.Lock()

    def acquire(self) -> float:
        """Wait until one more request fits the window and take its place; the seconds waited."""
        waited = 0.0
        while True:
            with self.lock:  # never held while waiting: the other threads' answers must get in
                now = self.timing.clock()
                while self.answered and now - self.answered[0] >= self.per_s:
                    self.answered.popleft()
                if len(self.answered) + self.in_flight < self.limit:
                    self.in_flight += 1
                    return waited
                delay = self.answered[0] + self.per_s - now if self.answered else IN_FLIGHT_POLL_S
            waited += self.pause(delay)

    def release(self) -> None:
        """The request taken by `acquire` is answered (or failed): its place in the window runs from now."""
        with self.lock:
            self.in_flight -= 1
            self.answered.append(self.timing.clock())

    def pause(self, seconds: float) -> float:
        self.waited_s += seconds
        self.timing.sleep(seconds)
        return seconds


# How often to look again when every place in the window is taken by a request still in flight.
IN_FLIGHT_POLL_S = 0.01


# The asset a thread's requests are counted under, when it is not the step's own (a multi-asset step
# whose sources run in threads of their own).
_REQUESTS_FOR: ContextVar[str | None] = ContextVar("requests_for", default=None)


@contextmanager
def requests_for(asset: str) -> Iterator[None]:
    """Count the requests sent in this block under `asset` in the ledger."""
    token = _REQUESTS_FOR.set(asset)
    try:
        yield
    finally:
        _REQUESTS_FOR.reset(token)


_LIMITERS: dict[tuple, RateLimiter] = {}
_LIMITERS_LOCK = threading.Lock()


def shared_limiter(service: str, base_url: str, rate: tuple[int, float], timing: Timing) -> RateLimiter:
    """One limiter per service, base URL and clock in this process: a service limits us as one
    client, however many assets or clients ask it in turn."""
    key = (service, base_url, rate, timing)
    with _LIMITERS_LOCK:
        if key not in _LIMITERS:
            _LIMITERS[key] = RateLimiter(*rate, timing)
        return _LIMITERS[key]


@dataclass
class Reply:
    status: int
    body: Any  # parsed JSON, or None when the body is not JSON
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class Outcome:
    kind: str  # found | missing | retry | fail
    data: Any = None
    reason: str = ""
    retry_after_s: float | None = None

    @classmethod
    def found(cls, data: Any) -> "Outcome":
        return cls("found", data)

    @classmethod
    def missing(cls, reason: str = "not found") -> "Outcome":
        return cls("missing", reason=reason)

    @classmethod
    def retry(cls, reason: str, retry_after_s: float | None = None) -> "Outcome":
        return cls("retry", reason=reason, retry_after_s=retry_after_s)

    @classmethod
    def fail(cls, reason: str) -> "Outcome":
        return cls("fail", reason=reason)


class ServiceError(Exception):
    """A lookup that failed for good (not retryable, or retries spent). Never carries URLs or keys."""

    def __init__(self, service: str, reason: str) -> None:
        super().__init__(f"{service}: {reason}")
        self.service, self.reason = service, reason


class ServiceUnavailable(ServiceError):
    """A lookup the service could not answer now (unreachable, timing out, 5xx or rate-limited after
    every retry): transient. The key stays pending and is asked again next run; it is never cached."""


Classify = Callable[[Reply], Outcome]


class JsonApi:
    """GET JSON from one service: paced, identified, retried as the service's `classify` says."""

    def __init__(
        self,
        service: str,
        base_url: str,
        classify: Classify,
        limiter: RateLimiter,
        *,
        user_agent: str = USER_AGENT,
        timeout_s: float = 10.0,
        max_attempts: int = 4,
        backoff_s: float = 1.0,
        max_backoff_s: float = 30.0,
        ledger: Ledger | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.service, self.base_url, self.classify, self.limiter = service, base_url.rstrip("/"), classify, limiter
        self.ledger, self.clock = ledger, clock
        self.timeout_s, self.max_attempts = timeout_s, max_attempts
        self.backoff_s, self.max_backoff_s = backoff_s, max_backoff_s
        self.session = requests.Session()
        self.session.headers["User-Agent"] = user_agent
        self.calls: Counter[str] = Counter()  # endpoint -> requests this client sent, retries included
        self.waited_s = 0.0  # pacing and backoff time this client spent

    def get(self, path: str, params: dict[str, str] | None, endpoint: str) -> Outcome:
        """A found or missing outcome; raises ServiceError when the service refuses the question for
        good, ServiceUnavailable when it could not be reached or kept failing through every retry."""
        attempt = 0
        while True:
            attempt += 1
            self.waited_s += self.limiter.acquire()
            self._count(endpoint)
            try:
                outcome = self._attempt(path, params)
            finally:
                self.limiter.release()
            if outcome.kind in ("found", "missing"):
                return outcome
            if outcome.kind == "fail":
                raise ServiceError(self.service, outcome.reason)
            if attempt >= self.max_attempts:
                raise ServiceUnavailable(self.service, outcome.reason)
            self._back_off(attempt, outcome.retry_after_s)

    def _count(self, endpoint: str) -> None:
        """Count one request about to be sent: in this client, and in the ledger under the running step."""
        self.calls[endpoint] += 1
        if self.ledger is not None:
            run_id, asset = current_step()
            asset = _REQUESTS_FOR.get() or asset
            self.ledger.reserve(client_id="", user="", endpoint=endpoint, run_id=run_id or "adhoc", asset=asset,
                                now=self.clock(), budget_per_day=None, service=self.service)

    @property
    def requests_sent(self) -> int:
        return sum(self.calls.values())

    def _attempt(self, path: str, params: dict[str, str] | None) -> Outcome:
        try:
            response = self.session.get(self.base_url + path, params=params, timeout=self.timeout_s)
        except requests.Timeout:
            return Outcome.retry("timeout")
        except requests.ConnectionError:
            # requests' messages hold the URL, and with it Last.fm's key: say only what happened
            return Outcome.retry("connection failed")
        except requests.RequestException as error:
            return Outcome.fail(type(error).__name__)
        try:
            body = response.json()
        except ValueError:
            body = None
        return self.classify(Reply(response.status_code, body, {k.lower(): v for k, v in response.headers.items()}))

    def _back_off(self, attempt: int, retry_after_s: float | None) -> None:
        delay = min(self.max_backoff_s, max(retry_after_s or 0.0, self.backoff_s * 2 ** (attempt - 1)))
        self.waited_s += self.limiter.pause(delay)


# --- awkward JSON ---------------------------------------------------------------------------------


def as_list(value: Any) -> list:
    """A list whatever the service sent: None or "" -> [], a single object -> [object]."""
    if value is None or value == "":
        return []
    return value if isinstance(value, list) else [value]


def as_int(value: Any) -> int | None:
    """An int from a number or a number string ("1315650"); None when absent or not a number."""
    if value is None or isinstance(value, bool):
        return None
    try:
        return int(float(value))
    except (TypeError, ValueError):
        return None


def as_float(value: Any) -> float | None:
    if value is None or isinstance(value, bool):
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


# --- the shared resource base -----------------------------------------------------------------


class ApiResource(dg.ConfigurableResource):
    """Settings every enrichment client shares; subclasses name the service, its production base URL
    and its manners."""

    base_url: str = Field(default="", description="API base URL")
    data_dir: str = Field(default=DATA_DIR, description="holds the request ledger (<data_dir>/state)")
    clock: Clock | None = Field(default=None, description="the time requests are recorded at; None: real time")
    user_agent: str = Field(default=USER_AGENT, description="identifies mixtape (MusicBrainz refuses anonymous clients)")
    timeout_s: float = 10.0
    max_attempts: int = Field(default=4, description="tries per lookup on retryable errors")
    backoff_s: float = Field(default=1.0, description="first retry delay; doubles each retry")

    def timing(self) -> Timing:
        """Real time; tests and benchmarks substitute a movable clock with `with_timing`."""
        return Timing()

    def _api(self, service: str, classify: Classify, rate: tuple[int, float]) -> JsonApi:
        limiter = shared_limiter(service, self.base_url, rate, self.timing())
        return JsonApi(service, self.base_url, classify, limiter, user_agent=self.user_agent,
                       timeout_s=self.timeout_s, max_attempts=self.max_attempts, backoff_s=self.backoff_s,
                       ledger=Ledger.in_data_dir(self.data_dir), clock=clock_or_real(self.clock).time)


def with_timing(resource: ApiResource, timing: Timing) -> ApiResource:
    """The same resource, pacing and backing off on `timing` (Dagster rebuilds resources from
    their config, so the timing rides on the class rather than on the instance)."""
    cls = type(type(resource).__name__, (type(resource),), {"timing": lambda self: timing})
    return cls(**{name: getattr(resource, name) for name in type(resource).model_fields})
