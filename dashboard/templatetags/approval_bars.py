"""The small SVG of a timesheet's week on an approvals row, drawn in Python: a page shows 50 of
them, and the template language would resolve a dozen variables for each of their 14 shapes."""

from django import template
from django.utils.html import format_html, format_html_join

register = template.Library()


@register.simple_tag
def day_bars(row):
    """One bar per day (its height the day's hours), a day's initial under it, the week in words
    as the SVG's accessible name."""
    bars = format_html_join(
        "",
        '<rect x="{}" y="{}" width="{}" height="{}" class="{}"></rect>',
        (
            (
                bar.x,
                bar.y,
                row.bar_width,
                bar.height,
                "bar"
                + ("" if bar.minutes else " bar-empty")
                + (" bar-flagged" if bar.overlap or bar.during_leave else ""),
            )
            for bar in row.days
        ),
    )
    initials = format_html_join(
        "",
        '<text x="{}" y="39" class="bar-day" text-anchor="middle" aria-hidden="true">{}</text>',
        ((bar.x + 4, bar.name[:1]) for bar in row.days),
    )
    return format_html(
        '<svg class="day-bars" width="{0}" height="40" viewBox="0 0 {0} 40" role="img" aria-label="{1}">'
        "<title>{1}</title>{2}{3}</svg>",
        row.bars_width,
        row.days_text,
        bars,
        initials,
    )
