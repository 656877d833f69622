"""Traces are on by default and the standard OTEL_* variables win over the defaults."""

from __future__ import annotations

import pytest
from o2c.kit.telemetry import DEFAULT_SAMPLE_RATIO, default_sampler, otlp_endpoint, trace_exporter_choice

STANDARD = ("OTEL_SDK_DISABLED", "OTEL_TRACES_EXPORTER", "OTEL_EXPORTER_OTLP_ENDPOINT",
            "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "OTEL_TRACES_SAMPLER", "OTEL_TRACES_SAMPLER_ARG", "O2C_PORT_OFFSET")


@pytest.fixture(autouse=True)
def clean(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in STANDARD:
        monkeypatch.delenv(name, raising=False)


def test_on_by_default_to_the_local_jaeger_following_the_offset(monkeypatch: pytest.MonkeyPatch) -> None:
    assert trace_exporter_choice() == "otlp"
    assert otlp_endpoint() == "http://127.0.0.1:14318/v1/traces"
    monkeypatch.setenv("O2C_PORT_OFFSET", "300")
    assert otlp_endpoint() == "http://127.0.0.1:14618/v1/traces"


def test_the_standard_variables_win(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OTEL_TRACES_EXPORTER", "console")
    assert trace_exporter_choice() == "console"
    assert trace_exporter_choice("file") == "file"  # an explicit O2C_OTEL_EXPORTER still wins
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", "http://collector:4318")
    assert otlp_endpoint() is None  # the exporter reads it (and appends /v1/traces)
    assert otlp_endpoint("http://explicit:4318/v1/traces") == "http://explicit:4318/v1/traces"
    monkeypatch.setenv("OTEL_SDK_DISABLED", "true")
    assert trace_exporter_choice("otlp") == "none"


def test_a_parent_based_sampler_with_the_stated_ratio(monkeypatch: pytest.MonkeyPatch) -> None:
    sampler = default_sampler()
    assert sampler is not None
    assert f"TraceIdRatioBased{{{DEFAULT_SAMPLE_RATIO}}}" in sampler.get_description()
    assert sampler.get_description().startswith("ParentBased")
    monkeypatch.setenv("OTEL_TRACES_SAMPLER_ARG", "0.1")
    assert "TraceIdRatioBased{0.1}" in (default_sampler() or pytest.fail("no sampler")).get_description()
    monkeypatch.setenv("OTEL_TRACES_SAMPLER", "always_off")
    assert default_sampler() is None  # the SDK builds the one named
