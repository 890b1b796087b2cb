"""The hostile-input corpus: values a visitor, a broken client or an attacker sends where Clockroom
expects an id, a number, a date or a bit of text. Every surface that takes input from outside is
walked with them (tests/hostile/test_*.py); none may answer 500 or store anything damaged.
"""

# Markup that must never come back unescaped in an HTML answer.
SCRIPT = "<script>alert('clockroom')</script>"
IMG = '"><img src=x onerror=alert(1)>'
MARKUP = (SCRIPT, IMG)

INJECTION = (
    "' OR 1=1 --",
    '" OR ""="',
    "1; DROP TABLE integrations_workspace; --",
    SCRIPT,
    IMG,
    "{{ 7|add:7 }}{% debug %}",
    "../../../../etc/passwd",
    "%00%2e%2e%2f",
    "javascript:alert(1)",
    "//evil.example/phish",
)

NUMBERS = (
    "-1",
    "0",
    "00",
    "1.5",
    "1e308",
    "NaN",
    "-Infinity",
    "9223372036854775807",  # the largest 64-bit integer
    "9223372036854775808",  # one more
    "99999999999999999999999999999999999999",
    "0x1F",
    "\uff11\uff12\uff13",  # full-width digits: isdigit() says yes, int() reads them
    "\u0663",  # an Arabic-Indic digit
    "\u00b2",  # a superscript: isdigit() says yes, int() refuses
)

DATES = (
    "2026-02-30",
    "2026-13-01",
    "0000-00-00",
    "0001-01-01",
    "9999-12-31",
    "-2026-01-01",
    "20261207",
    "07/12/2026",
    "yesterday",
    "2026-12-07T25:61:00",
)

TEXT = (
    "",
    " ",
    "\x00",
    "a\x00b",
    "ünïcødé ☃ 日本語 🙂",
    "\u202egnp.exe",  # right-to-left override
    "\r\nSet-Cookie: owned=1",
    "x" * 5000,
    "%",
    "\\",
)

# Everything above, once each, in a fixed order.
VALUES = tuple(dict.fromkeys(INJECTION + NUMBERS + DATES + TEXT))


def ids(values):
    """Readable test ids for `values`."""
    out = []
    for value in values:
        shown = value.encode("unicode_escape").decode()[:24] or "empty"
        out.append(shown if len(value) <= 24 else f"{shown}...({len(value)})")
    return out


def unescaped_markup(text):
    """The pieces of hostile markup `text` (an HTML answer) holds unescaped."""
    return [markup for markup in MARKUP if markup in text]
