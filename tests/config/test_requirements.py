"""requirements*.txt are pip-compile's pins of the short requirements*.in: every package pinned with
== and a hash, the runtime set the same in both files, every name in the .in files pinned."""

from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

BASE_DIR = Path(__file__).resolve().parents[2]


def logical_lines(path):
    """The file's lines with continuations joined and comments dropped."""
    text = path.read_text().replace("\\\n", " ")
    for line in text.splitlines():
        line = line.split(" #", 1)[0].strip()
        if line and not line.startswith("#"):
            yield line


def pins(path):
    """{name: (version, hashes)} of a compiled requirements file; anything but a pin fails."""
    found = {}
    for line in logical_lines(path):
        requirement, *options = line.split(" --hash=")
        parsed = Requirement(requirement.strip())
        (specifier,) = parsed.specifier
        assert specifier.operator == "==", line
        found[canonicalize_name(parsed.name)] = (specifier.version, options)
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
def test_every_package_is_pinned_with_its_hashes(name):
    found = pins(BASE_DIR / name)
    assert found
    for package, (_version, hashes) in found.items():
        assert hashes, f"{package} has no hash"
        assert all(value.strip().startswith("sha256:") for value in hashes), package


@pytest.mark.parametrize(
    ("source", "compiled"),
    [("requirements.in", "requirements.txt"), ("requirements-dev.in", "requirements-dev.txt")],
)
def test_every_package_asked_for_is_pinned(source, compiled):
    assert wanted(BASE_DIR / source) <= set(pins(BASE_DIR / compiled))


def test_the_dev_set_pins_the_runtime_set_at_the_same_versions():
    runtime = {name: version for name, (version, _) in pins(BASE_DIR / "requirements.txt").items()}
    dev = {name: version for name, (version, _) in pins(BASE_DIR / "requirements-dev.txt").items()}

    assert {name: dev.get(name) for name in runtime} == runtime
    assert "pip-tools" in dev
