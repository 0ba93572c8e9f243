"""The lock files: every dependency pinned to one version with its hashes, within what pyproject.toml allows,
the same in both files, and what this environment runs."""

import re
import tomllib
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parent.parent
PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==(\S+)((?:\s*\\\n\s+--hash=sha256:[0-9a-f]{64})+)", re.MULTILINE)


def pins(name):
    """{package: (version, number of hashes)} of a lock file."""
    text = (ROOT / name).read_text()
    found = {canonicalize_name(m[1]): (m[2], m[3].count("--hash=")) for m in PIN.finditer(text)}
    requirement_lines = [line for line in text.splitlines() if line and not line.startswith((" ", "#"))]
    assert len(found) == len(requirement_lines), "every requirement is pinned with == and hashes"
    return found


def declared(extra=None):
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    listed = project["optional-dependencies"][extra] if extra else project["dependencies"]
    return [Requirement(line) for line in listed]


@pytest.mark.parametrize(
    ("lock", "extras"), [("requirements.lock", [None]), ("requirements-test.lock", [None, "test"])]
)
def test_every_declared_dependency_is_locked_within_its_declared_range_with_hashes(lock, extras):
    locked = pins(lock)
    for extra in extras:
        for requirement in declared(extra):
            name = canonicalize_name(requirement.name)
            assert name in locked, f"{requirement} is missing from {lock}: run `make lock`"
            pinned, hashes = locked[name]
            assert requirement.specifier.contains(pinned, prereleases=True), (
                f"{lock} pins {name}=={pinned}: {requirement}"
            )
            assert hashes >= 1


def test_the_socket_libraries_are_locked_at_the_exact_versions_the_socket_code_was_checked_against():
    locked = pins("requirements.lock")
    assert locked["flask-sock"][0] == "0.7.0" and locked["simple-websocket"][0] == "1.1.0"


def test_the_test_lock_runs_the_same_versions_as_the_deploy_lock():
    deploy, test = pins("requirements.lock"), pins("requirements-test.lock")
    assert {name: test[name][0] for name in deploy if name in test} == {name: v for name, (v, _) in deploy.items()}


def test_this_environment_runs_the_locked_versions():
    """`make test` installs from the lock: what runs here is what a deploy installs."""
    differ = {}
    for name, (pinned, _) in pins("requirements-test.lock").items():
        try:
            installed = version(name)
        except PackageNotFoundError:
            installed = None
        if installed != pinned:
            differ[name] = (installed, pinned)
    assert not differ, f"installed vs locked: {differ}; run `make install-test`"
