"""Alerts as code: the rules load (promtool check rules), every alert fires on its case and stays quiet on a
healthy one (promtool test rules), every alert names a runbook section that says what it means, what to check
first and the fix, and the Alertmanager configuration loads (amtool check-config)."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

HERE = Path(__file__).resolve().parents[1]
REPO = HERE.parents[1]
RULES = HERE / "alerts.yml"
RULE_TESTS = HERE / "alerts_test.yml"
RUNBOOK = REPO / "docs" / "runbook.md"
SECTION_PARTS = ("**Means.**", "**First checks.**", "**Fix.**")


def tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        pytest.skip(f"{name} not installed: make install (Debian's prometheus / prometheus-alertmanager)")
    return found


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, cwd=HERE, capture_output=True, text=True, timeout=120)


def alerts(rules: dict[str, Any]) -> list[dict[str, Any]]:
    return [rule for group in rules["groups"] for rule in group["rules"] if "alert" in rule]


def slug(heading: str) -> str:
    """GitHub's anchor of a heading: lower case, punctuation dropped, spaces to hyphens."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


def runbook_sections(text: str) -> dict[str, str]:
    sections: dict[str, str] = {}
    for block in re.split(r"^## ", text, flags=re.MULTILINE)[1:]:
        heading, _, body = block.partition("\n")
        sections[slug(heading)] = body
    return sections


def runbook_problems(rules: dict[str, Any], runbook_text: str) -> list[str]:
    """What is wrong with the alerts' runbook links: none, an unknown section, or a section missing a part."""
    sections = runbook_sections(runbook_text)
    problems = []
    for rule in alerts(rules):
        link = str(rule.get("annotations", {}).get("runbook", ""))
        page, _, anchor = link.partition("#")
        if page != "docs/runbook.md" or not anchor:
            problems.append(f"{rule['alert']}: runbook annotation {link!r} is not docs/runbook.md#<section>")
        elif anchor not in sections:
            problems.append(f"{rule['alert']}: docs/runbook.md has no section #{anchor}")
        else:
            problems += [f"{rule['alert']}: section #{anchor} lacks {part}" for part in SECTION_PARTS
                         if part not in sections[anchor]]
    return problems


def test_the_rules_load() -> None:
    done = run(tool("promtool"), "check", "rules", str(RULES))
    assert done.returncode == 0, done.stdout + done.stderr


def test_every_alert_fires_on_its_case_and_not_on_a_healthy_one() -> None:
    done = run(tool("promtool"), "test", "rules", str(RULE_TESTS))
    assert done.returncode == 0, done.stdout + done.stderr
    cases = [case for test in yaml.safe_load(RULE_TESTS.read_text())["tests"] for case in test["alert_rule_test"]]
    for rule in alerts(yaml.safe_load(RULES.read_text())):
        mine = [case for case in cases if case["alertname"] == rule["alert"]]
        assert any(case["exp_alerts"] for case in mine), f"{rule['alert']}: no case where it fires"
        assert any(not case["exp_alerts"] for case in mine), f"{rule['alert']}: no case where it stays quiet"


def test_every_alert_has_its_runbook_section() -> None:
    assert runbook_problems(yaml.safe_load(RULES.read_text()), RUNBOOK.read_text()) == []


def test_an_alert_without_a_runbook_section_is_caught() -> None:
    rules = {"groups": [{"name": "g", "rules": [
        {"alert": "NoSection", "expr": "up == 0", "annotations": {"runbook": "docs/runbook.md#nowhere"}},
        {"alert": "NoLink", "expr": "up == 0", "annotations": {}},
        {"alert": "NoFix", "expr": "up == 0", "annotations": {"runbook": "docs/runbook.md#half"}},
    ]}]}
    text = "# r\n\n## Half\n\n**Means.** x\n\n**First checks.** y\n"
    assert runbook_problems(rules, text) == [
        "NoSection: docs/runbook.md has no section #nowhere",
        "NoLink: runbook annotation '' is not docs/runbook.md#<section>",
        "NoFix: section #half lacks **Fix.**",
    ]


def test_the_alertmanager_configuration_loads() -> None:
    done = run(tool("amtool"), "check-config", str(HERE / "alertmanager.yml"))
    assert done.returncode == 0, done.stdout + done.stderr
