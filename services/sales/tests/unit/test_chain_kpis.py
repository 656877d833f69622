"""The chain's figures as gauges: every status and exception kind has a series from the start (a rule or a
panel never meets an absent one), and a read replaces the previous figures."""

from __future__ import annotations

from datetime import UTC, datetime

from o2c.sales.tracking import kpis
from prometheus_client import REGISTRY


def value(name: str, **labels: str) -> float | None:
    return REGISTRY.get_sample_value(name, labels)


def test_zero_series_from_the_start_then_the_figures_read() -> None:
    at = datetime(2026, 12, 7, 10, 0, tzinfo=UTC)
    kpis.publish({"statuses": {}, "exception_kinds": {}, "holds": 0, "oldest_hold": 0.0}, at)
    assert value("o2c_chain_orders", status="credit_hold") == 0
    assert value("o2c_chain_open_exceptions", kind="failed_compensation") == 0
    kpis.publish({"statuses": {"credit_hold": 2, "released": 5}, "exception_kinds": {"saga_problem": 1},
                  "holds": 2, "oldest_hold": 7200.0}, at)
    assert value("o2c_chain_orders", status="credit_hold") == 2
    assert value("o2c_chain_orders", status="released") == 5
    assert value("o2c_chain_open_exceptions", kind="saga_problem") == 1
    assert value("o2c_chain_credit_holds_waiting") == 2
    assert value("o2c_chain_credit_hold_oldest_seconds") == 7200
    assert value("o2c_chain_kpis_refreshed_timestamp_seconds") == at.timestamp()
    kpis.publish({"statuses": {"released": 1}, "exception_kinds": {}, "holds": 0, "oldest_hold": 0.0}, at)
    assert value("o2c_chain_orders", status="credit_hold") == 0
    assert value("o2c_chain_open_exceptions", kind="saga_problem") == 0
