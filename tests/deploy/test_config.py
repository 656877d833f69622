"""Configuration the code reads: every environment variable Compose and the Kubernetes overlays give a process is
read by that process's settings class (or is a standard OTEL_* variable, read by OpenTelemetry's SDK), and every
setting a process refuses to start without is set. The overlays are rendered by tests/support/deploy_render.py."""

from __future__ import annotations

import importlib
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import opentelemetry.environment_variables as otel_api
import opentelemetry.sdk.environment_variables as otel_sdk
import pytest
import yaml
from o2c.kit.messaging.kafka_security import KafkaSecurity
from o2c.kit.settings import ServiceSettings, load_settings
from o2c.testsupport.deploy_render import OVERLAYS, rendered
from pydantic_settings import BaseSettings

# The first test builds the pinned tools when make install has not (minutes, once; cached after).
pytestmark = pytest.mark.timeout(1800)
REPO = Path(__file__).resolve().parents[2]
SERVICES = {"sales": 8101, "credit": 8102, "inventory": 8103, "dispatch": 8104, "invoicing": 8105,
            "ewaybill": 8106, "notify": 8107}
OTEL = {v for m in (otel_api, otel_sdk) for k, v in vars(m).items() if k.startswith("OTEL_") and isinstance(v, str)}
PLACEHOLDER_URL = "postgresql://o2c_x:secret@db:5432/o2c_x"


def settings_classes(module: str) -> list[tuple[type[BaseSettings], str]]:
    """What a process started as `python -m <module>` reads: (settings class, environment prefix) pairs."""
    if module.startswith("o2c.") and module.count(".") == 1 and module[4:] in SERVICES:
        service = module[4:]
        cls: type[ServiceSettings] = importlib.import_module(f"{module}.app").DEFINITION.settings_class
        return [(cls, "O2C_"), (cls, f"O2C_{service.upper()}_"), (KafkaSecurity, "O2C_KAFKA_")]
    sandboxes = {"o2c.invoicing.adapters.irp_sandbox": "IrpSandboxSettings",
                 "o2c.ewaybill.adapters.sandbox_server": "NicSandboxSettings"}
    if module in sandboxes:
        cls_ = getattr(importlib.import_module(module), sandboxes[module])
        return [(cls_, cls_.model_config["env_prefix"])]
    if module == "o2c.contracts.topics":
        return []  # the topic creator: arguments only
    raise AssertionError(f"no settings known for {module}")


def read_names(module: str) -> set[str]:
    return {prefix + field.upper() for cls, prefix in settings_classes(module) for field in cls.model_fields}


@contextmanager
def environment(values: dict[str, str]) -> Iterator[None]:
    saved = dict(os.environ)
    for key in [k for k in os.environ if k.startswith(("O2C_", "OTEL_"))]:
        del os.environ[key]
    os.environ.update(values)
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)


def missing_when_started(module: str, env: dict[str, str]) -> list[str]:
    """Loads the process's settings from exactly this environment, as its entrypoint does: what it lacks."""
    with environment(env):
        if module[4:] in SERVICES and module.count(".") == 1:
            cls = importlib.import_module(f"{module}.app").DEFINITION.settings_class
            return load_settings(cls, module[4:], SERVICES[module[4:]]).missing_secrets()
        for cls, _ in settings_classes(module):
            cls()  # validates types (ports are numbers, hosts strings)
        return []


def compose_processes() -> list[tuple[str, str, dict[str, str]]]:
    """(compose service, module, environment) for every o2c process in docker-compose.yml."""
    doc = yaml.safe_load((REPO / "docker-compose.yml").read_text())
    out = []
    for name, svc in doc["services"].items():
        command = svc.get("command") or []
        if command[:2] != ["python", "-m"]:
            continue
        given = svc.get("environment") or {}
        env = {k: str(v).replace("${O2C_SERVICE_PASSWORD}", "secret") for k, v in given.items()}
        env = {k: ("secret-key-of-32-characters-or-more" if v.startswith("${") else v) for k, v in env.items()}
        out.append((name, command[2], env))
    return out


def k8s_processes(overlay: str) -> list[tuple[str, str, dict[str, str]]]:
    docs = rendered(overlay)
    config_maps = {d["metadata"]["name"]: d.get("data", {}) for d in docs if d["kind"] == "ConfigMap"}
    out = []
    for d in docs:
        if d["kind"] not in {"Deployment", "StatefulSet"}:
            continue
        for c in d["spec"]["template"]["spec"]["containers"]:
            if c.get("command", [])[:2] != ["python", "-m"]:
                continue
            env: dict[str, str] = {}
            for source in c.get("envFrom", []):
                env |= config_maps[source["configMapRef"]["name"]]
            for e in c.get("env", []):
                ref: dict[str, Any] = e.get("valueFrom", {})
                if "secretKeyRef" in ref:
                    env[e["name"]] = PLACEHOLDER_URL if ref["secretKeyRef"]["key"] == "uri" else "secret"
                elif "fieldRef" in ref:
                    env[e["name"]] = "pod-0"
                else:
                    env[e["name"]] = e["value"]
            out.append((f"{overlay}/{d['metadata']['name']}", c["command"][2], env))
    return out


def processes(source: str) -> list[tuple[str, str, dict[str, str]]]:
    return compose_processes() if source == "compose" else k8s_processes(source)


@pytest.mark.parametrize("source", ["compose", *OVERLAYS])
def test_every_variable_given_is_read_and_every_required_one_set(source: str) -> None:
    problems = []
    for where, module, env in processes(source):
        ignored = sorted(n for n in env if n not in read_names(module) and n not in OTEL)
        if ignored:
            problems.append(f"{where}: {ignored} are read by no settings class of {module}")
        missing = missing_when_started(module, env)
        if missing:
            problems.append(f"{where} would refuse to start without {missing}")
    assert not problems, "\n".join(problems)


def test_every_process_is_covered() -> None:
    """The cross-check sees every service and sandbox in Compose and in each overlay (prod has no sandboxes)."""
    where = {p[0] for source in ["compose", *OVERLAYS] for p in processes(source)}
    for name in [*SERVICES, "irp-sandbox", "nic-sandbox"]:
        assert name in where
        assert f"dev/{name}" in where
    assert {f"prod/{name}" for name in SERVICES} <= where


def test_a_variable_nothing_reads_is_caught() -> None:
    """The check itself: the old names Compose used to set (and the code never read) are refused."""
    assert "O2C_IRP_URL" not in read_names("o2c.invoicing") | OTEL
    assert "O2C_NIC_URL" not in read_names("o2c.ewaybill") | OTEL
    assert "O2C_INVOICING_IRP_BASE_URL" in read_names("o2c.invoicing")


def test_compose_waits_for_topics_and_health() -> None:
    doc = yaml.safe_load((REPO / "docker-compose.yml").read_text())["services"]
    for name in SERVICES:
        deps = doc[name]["depends_on"]
        assert deps["topics"]["condition"] == "service_completed_successfully", name
        assert all(deps[d]["condition"] == "service_healthy" for d in ("kafka", "postgres", "redis")), name
        assert "/readyz" in " ".join(doc[name]["healthcheck"]["test"]), name
    assert doc["invoicing"]["depends_on"]["irp-sandbox"]["condition"] == "service_healthy"
    assert doc["ewaybill"]["depends_on"]["nic-sandbox"]["condition"] == "service_healthy"
    assert doc["sales"]["depends_on"]["inventory"]["condition"] == "service_healthy"
    for name in ("irp-sandbox", "nic-sandbox"):
        assert "/healthz" in " ".join(doc[name]["healthcheck"]["test"]), name
