"""Mirrored expenses and their categories."""

from django.db import models

from .base import MirrorModel


class ExpenseCategory(MirrorModel):
    name = models.CharField(max_length=100)

    class Meta(MirrorModel.Meta):
        ordering = ["name", "id"]
        verbose_name_plural = "expense categories"

    def __str__(self):
        return self.name


class Expense(MirrorModel):
    member = models.ForeignKey(
        "integrations.Member", on_delete=models.SET_NULL, null=True, blank=True, related_name="expenses"
    )
    project = models.ForeignKey("integrations.Project", on_delete=models.SET_NULL, null=True, blank=True)
    category = models.ForeignKey(ExpenseCategory, on_delete=models.SET_NULL, null=True, blank=True)
    user_webwork_id = models.BigIntegerField(null=True, blank=True)
    project_webwork_id = models.BigIntegerField(null=True, blank=True)
    category_webwork_id = models.CharField(max_length=64, blank=True)
    name = models.CharField(max_length=200)
    date = models.DateField(null=True, blank=True)
    amount = models.DecimalField(max_digits=12, decimal_places=2)
    note = models.TextField(blank=True)
    is_billable = models.BooleanField(default=False)

    class Meta(MirrorModel.Meta):
        ordering = ["-date", "id"]
        indexes = [models.Index(fields=["workspace", "date"], name="expense_day_idx")]

    def __str__(self):
        return f"{self.name} {self.amount}"
