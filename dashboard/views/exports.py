"""CSV downloads, the same way on every page: streamed, and safe to open in a spreadsheet.

`csv_writer()` writes one line a call (`writer.writerow(cells)` returns the line's text, for a
StreamingHttpResponse to send as it is read). A text cell that a spreadsheet would read as a
formula (one starting with `=`, `+`, `-`, `@`, a tab or a carriage return: a member's name, a
note or a description typed in WebWork) is written with a leading apostrophe, which spreadsheets
show as text and do not run; numbers (`-1.5`) are left as they are. `csv_download(lines, name)`
is the streamed response with its file name.
"""

import csv
import re

from django.http import StreamingHttpResponse

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
NUMBER = re.compile(r"^[+-]?\d+(\.\d+)?$")


def spreadsheet_safe(value):
    """`value` as a spreadsheet shows it, never as a formula it would run."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS) and not NUMBER.match(value):
        return "'" + value
    return value


class _Echo:
    def write(self, value):
        return value


class _SafeWriter:
    def __init__(self):
        self._writer = csv.writer(_Echo())

    def writerow(self, cells):
        return self._writer.writerow([spreadsheet_safe(cell) for cell in cells])


def csv_writer():
    """A writer whose `writerow(cells)` returns the CSV line of `cells`, made spreadsheet-safe."""
    return _SafeWriter()


def csv_download(lines, name):
    """`lines` (an iterator of CSV text) streamed as the download `name`."""
    response = StreamingHttpResponse(lines, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response
