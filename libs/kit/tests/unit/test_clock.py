"""The test clock: moved forward only in tests; a service process started from the environment refuses it."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from o2c.kit.clock import now, shared_test_clock
from o2c.kit.settings import ServiceSettings, load_settings


def test_a_service_reads_the_test_clock_only_when_its_settings_enable_it() -> None:
    prefix = f"t{uuid.uuid4().hex[:6]}."
    shared_test_clock(prefix).advance(timedelta(hours=25))
    moved = now(ServiceSettings(topic_prefix=prefix, test_clock=True))
    real = now(ServiceSettings(topic_prefix=prefix))
    assert moved - datetime.now(UTC) > timedelta(hours=24, minutes=59)
    assert abs(real - datetime.now(UTC)) < timedelta(seconds=5)
    with pytest.raises(ValueError):
        shared_test_clock(prefix).advance(timedelta(seconds=-1))


def test_a_service_process_refuses_the_test_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("O2C_TEST_CLOCK", "true")
    with pytest.raises(SystemExit, match="test-only"):
        load_settings(ServiceSettings, "invoicing", 8105)
    monkeypatch.setenv("O2C_TEST_CLOCK", "false")
    monkeypatch.setenv("O2C_INVOICING_TEST_CLOCK", "1")
    with pytest.raises(SystemExit, match="test-only"):
        load_settings(ServiceSettings, "invoicing", 8105)
