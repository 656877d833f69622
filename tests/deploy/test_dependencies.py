"""Dependencies as declared: every dependency pinned, the lock files current with pyproject.toml and hashed, no
declared package that nothing imports (testcontainers, see docs/deployment.md), and the message contracts
installable on their own by a partner."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
UV = Path(sys.executable).with_name("uv")
PYPROJECT = tomllib.loads((REPO / "pyproject.toml").read_text())
PIN = re.compile(r"^([A-Za-z0-9_.-]+)(\[[^\]]*\])?==([^\s;#]+)")


def locked(path: Path) -> dict[str, str]:
    """name → version of a uv/pip-compile lock; every entry must carry hashes."""
    text = path.read_text()
    pins: dict[str, str] = {}
    for block in re.split(r"\n(?=[A-Za-z0-9])", text):
        m = PIN.match(block)
        if m:
            assert "--hash=sha256:" in block, f"{path.name}: {m.group(1)} has no hash"
            pins[m.group(1).lower().replace("_", "-")] = m.group(3)
    return pins


@pytest.mark.parametrize(("lock", "groups"), [("requirements.lock", ["dependencies"]),
                                              ("requirements-dev.lock", ["dependencies", "dev"])])
def test_every_declared_dependency_is_pinned_and_locked_at_that_version(lock: str, groups: list[str]) -> None:
    pins = locked(REPO / lock)
    declared = [*PYPROJECT["project"]["dependencies"]]
    if "dev" in groups:
        declared += PYPROJECT["project"]["optional-dependencies"]["dev"]
    for requirement in declared:
        m = PIN.match(requirement)
        assert m, f"not pinned with ==: {requirement!r}"
        name = m.group(1).lower().replace("_", "-")
        assert pins.get(name) == m.group(3), f"{lock} has {name}=={pins.get(name)}, pyproject.toml {m.group(3)}"


def test_no_declared_package_goes_unused() -> None:
    dev = " ".join(PYPROJECT["project"]["optional-dependencies"]["dev"])
    assert "testcontainers" not in dev, "testcontainers is imported nowhere (docs/deployment.md says why not)"


def test_the_contracts_install_on_their_own(tmp_path: Path) -> None:
    """As a partner would: o2c-india and o2c-contracts into an empty virtualenv, no o2c service code."""
    venv = tmp_path / "venv"
    subprocess.run([getattr(sys, "_base_executable", sys.executable), "-m", "venv", "--without-pip", str(venv)],
                   check=True)
    python = venv / "bin" / "python"
    # From copies: building in place would leave build/ directories in the checkout.
    ignore = shutil.ignore_patterns("__pycache__", "*.egg-info", "build", "tests")
    for lib in ("india", "contracts"):
        shutil.copytree(REPO / "libs" / lib, tmp_path / lib, ignore=ignore)
    subprocess.run([str(UV), "pip", "install", "-q", "--python", str(python),
                    str(tmp_path / "india"), str(tmp_path / "contracts")], check=True, cwd=tmp_path)
    probe = (
        "import importlib.util; from o2c.contracts.catalog import messages_of; from o2c.contracts.topics import TOPICS;"
        "assert importlib.util.find_spec('o2c.kit') is None and importlib.util.find_spec('o2c.sales') is None;"
        "assert TOPICS; print(len(messages_of('sales')))"
    )
    out = subprocess.run([str(python), "-c", probe], check=True, cwd=tmp_path, capture_output=True, text=True)
    assert int(out.stdout.strip()) > 5


def test_the_image_installs_exactly_the_lock_and_the_wheel() -> None:
    """No Docker engine here to build it: the Dockerfile's install steps are read instead (test_wheel.py runs the
    same two steps for real in a clean virtualenv)."""
    text = (REPO / "deploy" / "docker" / "Dockerfile").read_text()
    runtime = text.split("\nFROM ")[-1]  # the final stage
    installs = [line for line in runtime.splitlines() if "pip install" in line]
    assert len(installs) == 2, installs
    assert "--require-hashes -r /tmp/requirements.lock" in installs[0]
    assert "--no-deps" in installs[1] and "o2c-*.whl" in installs[1]
    assert re.search(r"^USER 10001", runtime, re.M)
    assert "COPY requirements.lock" in runtime and "COPY libs" not in runtime and "COPY services" not in runtime
