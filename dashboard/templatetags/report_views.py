"""The many small pieces of the Timeline, Activity and Tasks reports, each drawn in one tag rather
than a template loop per piece: a day's bars, a member's heat-map cells, a task's members. A busy
day has thousands of bars; each tag escapes what it writes."""

from html import escape
from urllib.parse import quote

from django import template
from django.utils.html import format_html
from django.utils.safestring import mark_safe

from dashboard.templatetags.clockroom import duration, percent_of

register = template.Library()

DASH = "\u2013"


def _bar_words(bar):
    """A bar's title and accessible name: project, task, times, duration, how it was added."""
    parts = [bar.project_name or "No project"]
    if bar.task_title:
        parts.append(bar.task_title)
    end = "now (running)" if bar.running else bar.end.strftime("%H:%M")
    words = " · ".join(parts) + f" · {bar.start:%H:%M}{DASH}{end}, {duration(bar.minutes)}"
    return words + (", added by hand" if bar.manual else "")


def _track_lines(timeline):
    """The hour lines and the "now" line, the same on every row (drawn once a page)."""
    lines = getattr(timeline, "_track_lines", None)
    if lines is None:
        line = '<line class="{}" x1="{}" x2="{}" y1="0" y2="20" vector-effect="non-scaling-stroke"/>'
        lines = "".join(line.format("hour-line", x, x) for x, _ in timeline.hours[1:])
        if timeline.now_x is not None:
            lines += line.format("now-line", timeline.now_x, timeline.now_x)
        timeline._track_lines = lines
    return lines


@register.simple_tag
def timeline_track(row, timeline, entry_base):
    """A row's SVG track: the hour lines, the "now" line, and a link per entry around its bar
    (hatched when added by hand, dashed while running). x and width are SVG attributes (minutes
    from the window's start): the page's CSP allows no inline style. A busy day draws thousands
    of bars, so they are written with the standard library's escaping, numbers and our own class
    names as they are."""
    base = escape(str(entry_base))
    bars = []
    for bar in row.bars:
        x, width = int(bar.x), int(bar.width)
        hatch = (
            f'<rect class="bar-hatch" x="{x}" y="2" width="{width}" height="16" fill="url(#timeline-hatch)"/>'
            if bar.manual
            else ""
        )
        running = " bar-running" if bar.running else ""
        bars.append(
            f'<a class="timeline-bar" href="{base}{escape(quote(bar.entry_id, safe=""))}/">'
            f"<title>{escape(_bar_words(bar))}</title>"
            f'<rect class="bar {escape(bar.project_colour)}{running}" x="{x}" y="2" width="{width}" '
            f'height="16" vector-effect="non-scaling-stroke"/>{hatch}</a>'
        )
    count = len(row.bars)
    label = f"{row.label}: {count} entr{'y' if count == 1 else 'ies'}" if count else f"{row.label}: no time"
    return mark_safe(  # noqa: S308 -- every text in it is escaped above
        f'<svg class="timeline-track" viewBox="0 0 {int(timeline.window_minutes)} 20" '
        f'preserveAspectRatio="none" role="group" aria-label="{escape(label)}">'
        f"{_track_lines(timeline)}{''.join(bars)}</svg>"
    )


@register.simple_tag
def heat_cells(row):
    """A member's heat-map cells: the level (or "—" without one), a band class, and the day and
    hours in its title."""
    cells = []
    for cell in row.cells:
        if cell.level is None:
            cells.append(
                format_html('<td class="act {}"><span aria-label="no data">—</span></td>', cell.band)
            )
        else:
            cells.append(
                format_html(
                    '<td class="act {}" title="{}: {} % over {}">{}</td>',
                    cell.band,
                    cell.day.strftime("%a %-d %b"),
                    cell.level,
                    duration(cell.minutes),
                    cell.level,
                )
            )
    return mark_safe("".join(cells))  # noqa: S308 -- each cell was built by format_html above


@register.simple_tag
def task_member_rows(task):
    """A task's members, each a row: the name, the time, and the share of the task's time."""
    rows = []
    for member_id, name, minutes in task.members:
        share = percent_of(minutes, task.minutes)
        rows.append(
            format_html(
                '<tr class="task-member" data-member="{}"><td class="task-member-name">{}</td>'
                '<td class="num" data-minutes="member">{}</td><td class="task-share">'
                '<meter min="0" max="{}" value="{}" aria-label="{}\'s share of {}">{} %</meter> '
                '<span class="small muted">{} %</span></td></tr>',
                member_id,
                name,
                duration(minutes),
                task.minutes,
                minutes,
                name,
                task.label,
                share,
                share,
            )
        )
    return mark_safe("".join(rows))  # noqa: S308 -- each row was built by format_html above
