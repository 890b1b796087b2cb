"""requirements*.txt are pip-compile's pins of the short requirements*.in: every line a package
pinned with ==, the runtime set the same in both files, every name in the .in files pinned."""

from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

BASE_DIR = Path(__file__).resolve().parents[2]


def logical_lines(path):
    """The file's lines, comments dropped."""
    for line in path.read_text().splitlines():
        line = line.split(" #", 1)[0].strip()
        if line and not line.startswith("#"):
            yield line


def pins(path):
    """{name: version} of a compiled requirements file; a line that is not one pin fails."""
    found = {}
    for line in logical_lines(path):
        parsed = Requirement(line)
        (specifier,) = parsed.specifier
        assert specifier.operator == "==", line
        found[canonicalize_name(parsed.name)] = specifier.version
    return found


def wanted(path):
    """The package names an .in file asks for (its -r includes too)."""
    names = set()
    for line in logical_lines(path):
        if line.startswith("-r "):
            names |= wanted(path.parent / line.split()[1])
        elif not line.startswith("-"):
            names.add(canonicalize_name(Requirement(line).name))
    return names


@pytest.mark.parametrize("name", ["requirements.txt", "requirements-dev.txt"])
def test_every_line_pins_one_package(name):
    found = pins(BASE_DIR / name)
    assert len(found) == len(list(logical_lines(BASE_DIR / name))) > 10


@pytest.mark.parametrize(
    ("source", "compiled"),
    [("requirements.in", "requirements.txt"), ("requirements-dev.in", "requirements-dev.txt")],
)
def test_every_package_asked_for_is_pinned(source, compiled):
    assert wanted(BASE_DIR / source) <= set(pins(BASE_DIR / compiled))


def test_the_dev_set_pins_the_runtime_set_at_the_same_versions():
    runtime = pins(BASE_DIR / "requirements.txt")
    dev = pins(BASE_DIR / "requirements-dev.txt")

    assert {name: dev.get(name) for name in runtime} == runtime
    assert "pip-tools" in dev
