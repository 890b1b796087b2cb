"""Run-time controls of the sandbox itself: the rate limit counters and fault injection."""

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models


class RateLimitWindow(models.Model):
    """A user's current one-minute window and the requests made in it, shared by every process.

    As WebWork's Laravel throttle does, a window opens with the first request after the
    previous one closed and lasts 60 seconds.
    """

    user_id = models.BigIntegerField(unique=True)
    window_start = models.DateTimeField()
    count = models.PositiveIntegerField(default=0)

    def __str__(self):
        return f"user {self.user_id} at {self.window_start:%H:%M}: {self.count}"


def _rate(help_text):
    return models.FloatField(
        default=0, validators=[MinValueValidator(0), MaxValueValidator(1)], help_text=help_text
    )


class FaultSettings(models.Model):
    """Faults to inject, switchable at run time (admin or the control endpoint). One row."""

    server_error_rate = _rate("Share of API answers that are 500s (0..1).")
    rate_limit_rate = _rate("Share of API answers that are extra 429s (0..1).")
    latency_ms = models.PositiveIntegerField(
        default=0, validators=[MaxValueValidator(60_000)], help_text="Added to every API answer."
    )
    timeout_rate = _rate("Share of API requests that hang for timeout_seconds before answering 504.")
    timeout_seconds = models.FloatField(default=30, validators=[MinValueValidator(0), MaxValueValidator(600)])
    webhook_drop_rate = _rate("Share of webhook deliveries never sent (0..1).")
    webhook_duplicate_rate = _rate("Share of webhook deliveries sent twice, with the same event id (0..1).")
    webhook_reorder = models.BooleanField(
        default=False, help_text="Hold each delivery back a random moment so events arrive out of order."
    )

    class Meta:
        verbose_name = "fault settings"
        verbose_name_plural = "fault settings"

    def __str__(self):
        return "Fault injection"

    @classmethod
    def current(cls):
        return cls.objects.get_or_create(pk=1)[0]

    @property
    def any_active(self):
        return any(
            [
                self.server_error_rate,
                self.rate_limit_rate,
                self.latency_ms,
                self.timeout_rate,
                self.webhook_drop_rate,
                self.webhook_duplicate_rate,
                self.webhook_reorder,
            ]
        )
