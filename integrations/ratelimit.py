"""The database-backed request budget that all Clockroom processes share per WebWork user."""

from django.conf import settings
from django.db import transaction

from .models import ApiBudget
from .webwork.ratelimit import RateLimiter, window_reserve


class DatabaseBudgetStore:
    """Keeps each WebWork user's recent send times in one `ApiBudget` row, changed under a row lock."""

    def reserve(self, key, now, limit, period):
        with transaction.atomic():
            budget = self._locked(key)
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

    def _locked(self, key):
        budget = ApiBudget.objects.select_for_update().filter(key=key).first()
        if budget is None:
            ApiBudget.objects.get_or_create(key=key)
            budget = ApiBudget.objects.select_for_update().get(key=key)
        return budget


def rate_limiter_for(webwork_user_id):
    """The shared limiter for one WebWork user: WEBWORK_RATE_LIMIT_PER_MINUTE requests per window of
    WEBWORK_RATE_LIMIT_PERIOD_SECONDS (60 against WebWork)."""
    return RateLimiter(
        f"user:{webwork_user_id}",
        store=DatabaseBudgetStore(),
        limit=settings.WEBWORK_RATE_LIMIT_PER_MINUTE,
        period=float(settings.WEBWORK_RATE_LIMIT_PERIOD_SECONDS),
    )
