"""The sliding-window limiter: never more than the limit in any span of the period."""

import pytest

from integrations.ratelimit import DatabaseBudgetStore
from integrations.webwork.ratelimit import MemoryBudgetStore, RateLimiter


class FakeClock:
    def __init__(self):
        self.now = 1_000_000.0

    def __call__(self):
        return self.now

    def sleep(self, seconds):
        self.now += seconds


def sends_in_any_window(times, period):
    return max(sum(1 for t in times if start <= t < start + period) for start in times)


@pytest.mark.parametrize("store_class", [MemoryBudgetStore, DatabaseBudgetStore])
@pytest.mark.django_db
def test_never_more_than_the_limit_in_any_window(store_class):
    clock = FakeClock()
    limiter = RateLimiter(
        "user:7", store=store_class(), limit=5, period=10, margin=0, sleep=clock.sleep, clock=clock
    )

    sent = []
    for _ in range(23):
        limiter.acquire()
        sent.append(clock())
        clock.now += 0.5

    assert sends_in_any_window(sent, 10) == 5
    assert sent[5] - sent[0] >= 10


@pytest.mark.django_db
def test_hold_off_pauses_every_limiter_sharing_the_budget():
    clock = FakeClock()
    store = DatabaseBudgetStore()
    first = RateLimiter("user:9", store=store, limit=60, sleep=clock.sleep, clock=clock)
    second = RateLimiter("user:9", store=store, limit=60, sleep=clock.sleep, clock=clock)

    first.hold_off(30)
    waited = second.acquire()

    assert waited == pytest.approx(30)


@pytest.mark.django_db
def test_budgets_are_per_webwork_user():
    clock = FakeClock()
    store = DatabaseBudgetStore()
    alice = RateLimiter("user:1", store=store, limit=1, sleep=clock.sleep, clock=clock)
    bob = RateLimiter("user:2", store=store, limit=1, sleep=clock.sleep, clock=clock)

    assert alice.acquire() == 0
    assert bob.acquire() == 0
    assert alice.acquire() > 0
