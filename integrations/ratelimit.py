"""The request budget all Clockroom processes share per WebWork user: in Redis when `REDIS_URL` is
set (a hosted deployment, workers on several machines), else in the database (`ApiBudget`).

Both keep the same sliding window (`webwork/ratelimit.py`: no span of the period holds more than
the limit) and the same hold-off after WebWork's `Retry-After`, and both change a budget
atomically: a row lock in the database, one Lua script in Redis (a sorted set of send times per
WebWork user, expiring a window after its last send). With Redis the window runs on Redis's
clock, read inside the script, so machines whose clocks disagree still share one window.
"""

import math
import time
import uuid

from django.conf import settings
from django.db import transaction

from .models import ApiBudget
from .shared_redis import redis_client, redis_key, redis_script
from .webwork.ratelimit import RateLimiter, ShareLimiter, window_reserve


class DatabaseBudgetStore:
    """Keeps each WebWork user's recent send times in one `ApiBudget` row, changed under a row lock.

    own_clock: judge every window at this machine's clock once the row is locked, whatever moment
    the caller passes, so the moments go up in the order the changes are made (the limiters of
    `rate_limiter_for`). Without it the caller's moments count (tests with a clock of their own)."""

    def __init__(self, *, own_clock=False):
        self.own_clock = own_clock
        self.last_moment = None  # the moment the last reserve judged its window at

    def now(self):
        return time.time()

    def reserve(self, key, now, limit, period):
        with transaction.atomic():
            budget = self._locked(key)
            if self.own_clock:
                now = time.time()
            self.last_moment = now
            sent, wait = window_reserve(budget.sent, budget.hold_until, now, limit, period)
            budget.sent = sent
            budget.save(update_fields=["sent"])
            return wait

    def hold_off(self, key, until):
        with transaction.atomic():
            budget = self._locked(key)
            if until > budget.hold_until:
                budget.hold_until = until
                budget.save(update_fields=["hold_until"])

    def held_until(self, key):
        return ApiBudget.objects.filter(key=key).values_list("hold_until", flat=True).first() or 0.0

    def _locked(self, key):
        budget = ApiBudget.objects.select_for_update().filter(key=key).first()
        if budget is None:
            ApiBudget.objects.get_or_create(key=key)
            budget = ApiBudget.objects.select_for_update().get(key=key)
        return budget


# KEYS: the send times (a sorted set scored by time), the hold-off. ARGV: now ("": Redis's clock),
# limit, period, a unique member for this send. Returns {seconds to wait ("0": sent now, recorded),
# the moment it used}. On Redis's clock the moments go up in the order the scripts run, so a window
# is never judged from a moment older than one another process already recorded.
_RESERVE = """
local sent, hold = KEYS[1], KEYS[2]
local now
if ARGV[1] == '' then
  local time = redis.call('TIME')
  now = tonumber(time[1]) + tonumber(time[2]) / 1000000
else
  now = tonumber(ARGV[1])
end
local limit, period = tonumber(ARGV[2]), tonumber(ARGV[3])
local moment = string.format('%.6f', now)
redis.call('ZREMRANGEBYSCORE', sent, '-inf', now - period)
local held = tonumber(redis.call('GET', hold) or '0')
if held > now then
  return {string.format('%.6f', held - now), moment}
end
local count = redis.call('ZCARD', sent)
if count >= limit then
  local oldest = redis.call('ZRANGE', sent, count - limit, count - limit, 'WITHSCORES')
  return {string.format('%.6f', tonumber(oldest[2]) + period - now), moment}
end
redis.call('ZADD', sent, now, ARGV[4])
redis.call('PEXPIRE', sent, math.ceil(period * 1000) + 1000)
return {'0', moment}
"""

# KEYS: the hold-off. ARGV: until (epoch seconds), its lifetime in milliseconds. Only ever later.
_HOLD_OFF = """
local held = tonumber(redis.call('GET', KEYS[1]) or '0')
if tonumber(ARGV[1]) > held then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
end
return 1
"""


class RedisBudgetStore:
    """Keeps each WebWork user's recent send times in a Redis sorted set, changed by one Lua script
    (atomic however many processes ask at once), expiring when the window holds nothing.

    own_clock: judge every window at Redis's clock when the script runs, whatever moment the
    caller passes, so the moments go up in the order the scripts run (the limiters of
    `rate_limiter_for`, whose clock is Redis's too). Without it the caller's moments count (tests
    with a clock of their own)."""

    def __init__(self, client=None, *, own_clock=False):
        self.redis = client or redis_client()
        self.own_clock = own_clock
        self.last_moment = None  # the moment the last reserve judged its window at
        self._reserve = redis_script(self.redis, _RESERVE)
        self._hold_off = redis_script(self.redis, _HOLD_OFF)

    def now(self):
        """Redis's clock: one clock for every machine that shares the budget."""
        seconds, microseconds = self.redis.time()
        return seconds + microseconds / 1_000_000

    def reserve(self, key, now, limit, period):
        member = uuid.uuid4().hex
        wait, moment = self._reserve(
            keys=[self._sent_key(key), self._hold_key(key)],
            args=["" if self.own_clock else repr(now), int(limit), repr(period), member],
        )
        self.last_moment = float(moment)
        return float(wait)

    def hold_off(self, key, until):
        lifetime = math.ceil((until - self.now()) * 1000)
        if lifetime > 0:
            self._hold_off(keys=[self._hold_key(key)], args=[repr(until), lifetime + 1000])

    def held_until(self, key):
        value = self.redis.get(self._hold_key(key))
        return float(value) if value else 0.0

    def sent(self, key):
        """The send times still in `key`'s window (oldest first), for tests and the benchmarks."""
        return [score for _member, score in self.redis.zrange(self._sent_key(key), 0, -1, withscores=True)]

    @staticmethod
    def _sent_key(key):
        return redis_key("budget", key, "sent")

    @staticmethod
    def _hold_key(key):
        return redis_key("budget", key, "hold")


def budget_store():
    """Where the budgets live: Redis when REDIS_URL is set, else the database."""
    client = redis_client()
    if client is not None:
        return RedisBudgetStore(client, own_clock=True)
    return DatabaseBudgetStore(own_clock=True)


def rate_limiter_for(webwork_user_id):
    """The shared limiter for one WebWork user: WEBWORK_RATE_LIMIT_PER_MINUTE requests per window of
    WEBWORK_RATE_LIMIT_PERIOD_SECONDS (60 against WebWork), kept in Redis or in the database."""
    store = budget_store()
    return RateLimiter(
        f"user:{webwork_user_id}",
        store=store,
        limit=settings.WEBWORK_RATE_LIMIT_PER_MINUTE,
        period=float(settings.WEBWORK_RATE_LIMIT_PERIOD_SECONDS),
        clock=store.now,
    )


def background_limiter(limiter, share):
    """`limiter`'s user budget as background work may spend it: `share` of every window at most."""
    return ShareLimiter(limiter, name="background", share=share)
