"""Keeping every process under WebWork's per-user request limit.

A sliding window: no span of `period` seconds may hold more than `limit` requests, whatever
the alignment of WebWork's own window. The send times live in a shared store (Redis when
`REDIS_URL` is set, else the database: see `integrations/ratelimit.py`), so several web and
worker processes, on one machine or several, syncing for one WebWork user share one budget.
WebWork's own signals (`Retry-After`, `X-RateLimit-Remaining: 0`) put the whole budget on hold.

`ShareLimiter` gives background work (a history backfill) a share of a user's budget only, so
the rest of every window stays free for the approval queues and a manager's actions.
"""

import threading
import time
from collections.abc import Callable
from typing import Protocol


class BudgetStore(Protocol):
    def reserve(self, key: str, now: float, limit: int, period: float) -> float:
        """Record a send at `now` if the window allows it and return 0; else return the seconds to wait."""

    def hold_off(self, key: str, until: float) -> None:
        """Allow no send for `key` before `until` (epoch seconds)."""

    def held_until(self, key: str) -> float:
        """The moment (epoch seconds) before which `key` may send nothing; 0 when not on hold."""


def window_reserve(sent: list[float], hold_until: float, now: float, limit: int, period: float):
    """The sliding-window rule. Returns (sends still in the window, with `now` added if allowed; wait)."""
    sent = [t for t in sent if t > now - period]
    if hold_until > now:
        return sent, hold_until - now
    if len(sent) >= limit:
        return sent, sent[len(sent) - limit] + period - now
    return [*sent, now], 0.0


class RateLimiter:
    """The limiter a WebWorkClient asks before each request."""

    def __init__(
        self,
        key,
        *,
        store: BudgetStore,
        limit: int,
        period: float = 60.0,
        margin: float = 1.0,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.time,
    ):
        self.key = str(key)
        self.store = store
        self.limit = limit
        # A second more than WebWork's minute absorbs clock differences between us and WebWork.
        self.period = period + margin
        self.sleep = sleep
        self.clock = clock

    def acquire(self) -> float:
        """Block until a request may be sent; returns the seconds waited."""
        waited = 0.0
        while True:
            wait = self.store.reserve(self.key, self.clock(), self.limit, self.period)
            if wait <= 0:
                return waited
            wait = min(wait, self.period)
            self.sleep(wait)
            waited += wait

    def hold_off(self, seconds):
        if seconds and seconds > 0:
            self.store.hold_off(self.key, self.clock() + seconds)

    def held_until(self) -> float:
        return self.store.held_until(self.key)


class ShareLimiter:
    """At most `share` of `limiter`'s budget in any window, and always within the whole budget.

    A request takes a turn in the share (its own window, `<key>:<name>`, in the same store) and
    then in the whole budget, so work with a share never takes more than its part of a window and
    the rest stays for work without one. WebWork's hold-offs go to the whole budget.
    """

    def __init__(self, limiter: RateLimiter, *, name: str, share: float):
        self.whole = limiter
        self.part = RateLimiter(
            f"{limiter.key}:{name}",
            store=limiter.store,
            limit=max(1, int(limiter.limit * share)),
            period=limiter.period,
            margin=0.0,
            sleep=limiter.sleep,
            clock=limiter.clock,
        )

    @property
    def limit(self):
        return self.part.limit

    def acquire(self) -> float:
        return self.part.acquire() + self.whole.acquire()

    def hold_off(self, seconds):
        self.whole.hold_off(seconds)


class MemoryBudgetStore:
    """A store for one process (tests and one-off scripts)."""

    def __init__(self):
        self._lock = threading.Lock()
        self._sent: dict[str, list[float]] = {}
        self._hold: dict[str, float] = {}

    def reserve(self, key, now, limit, period):
        with self._lock:
            sent, wait = window_reserve(self._sent.get(key, []), self._hold.get(key, 0.0), now, limit, period)
            self._sent[key] = sent
            return wait

    def hold_off(self, key, until):
        with self._lock:
            self._hold[key] = max(self._hold.get(key, 0.0), until)

    def held_until(self, key):
        with self._lock:
            return self._hold.get(key, 0.0)
