"""One aligned table per benchmark: figure, value, target, and whether the target is met."""

import math
import os
from dataclasses import dataclass, field

OK = "ok"
MISSED = "MISSED"


def load_average():
    """The machine's 1, 5 and 15 minute load averages, as text ("n/a" where the OS has none)."""
    try:
        return " ".join(f"{value:.2f}" for value in os.getloadavg())
    except (AttributeError, OSError):
        return "n/a"


@dataclass
class Row:
    figure: str
    value: str
    target: str = ""
    met: bool | None = None  # None: no target


@dataclass
class Table:
    title: str
    notes: list[str] = field(default_factory=list)
    rows: list[Row] = field(default_factory=list)

    def add(self, figure, value, target="", met=None):
        self.rows.append(Row(figure, _text(value), target, met))
        return self

    def note(self, line):
        self.notes.append(line)
        return self

    def value(self, figure):
        """The value of a figure, as printed (for callers that read the table)."""
        return next(row.value for row in self.rows if row.figure == figure)

    @property
    def missed(self):
        return [row for row in self.rows if row.met is False]

    def lines(self):
        header = ("figure", "value", "target", "")
        cells = [header] + [
            (row.figure, row.value, row.target, "" if row.met is None else (OK if row.met else MISSED))
            for row in self.rows
        ]
        widths = [max(len(cell[i]) for cell in cells) for i in range(4)]

        def line(cell):
            figure, value, target, verdict = cell
            return f"  {figure:<{widths[0]}}  {value:>{widths[1]}}  {target:<{widths[2]}}  {verdict}".rstrip()

        out = [self.title]
        out += [f"  {note}" for note in self.notes]
        out.append(line(header))
        out.append("  " + "  ".join("-" * width for width in widths[:3]))
        out += [line(cell) for cell in cells[1:]]
        return out

    def render(self):
        return "\n".join(self.lines())


def _text(value):
    if isinstance(value, float):
        return f"{value:,.2f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def percentile(values, share):
    """The value below which `share` (0..1) of `values` lie (nearest rank)."""
    ordered = sorted(values)
    if not ordered:
        return 0.0
    rank = max(1, min(len(ordered), math.ceil(share * len(ordered))))
    return ordered[rank - 1]


def median(values):
    ordered = sorted(values)
    if not ordered:
        return 0.0
    middle = len(ordered) // 2
    if len(ordered) % 2:
        return ordered[middle]
    return (ordered[middle - 1] + ordered[middle]) / 2
