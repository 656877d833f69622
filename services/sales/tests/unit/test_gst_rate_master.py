"""Sales owns the GST rates: each rate, in each version, is published once as GstRateRecorded for the replicas
(docs/domain.md, "GST rates")."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

from o2c.contracts.v1 import sales
from o2c.sales.domain.tax import GstRate
from o2c.sales.service_layer import catalog
from o2c.sales.service_layer.ports import UnitOfWork
from o2c.testsupport.sales.fakes import InMemoryRepository

AT = datetime(2026, 11, 5, 6, tzinfo=UTC)


async def test_a_rate_entered_is_published_with_its_version_and_a_correction_raises_the_version() -> None:
    repo = InMemoryRepository([])
    uow = UnitOfWork(repo)
    assert await catalog.add_gst_rate(uow, GstRate("8413", Decimal(12), date(2026, 11, 5)), AT) == 1
    assert await catalog.add_gst_rate(uow, GstRate("8413", Decimal(5), date(2026, 11, 5)), AT) == 2
    first, second = uow.messages
    assert isinstance(first, sales.GstRateRecorded) and isinstance(second, sales.GstRateRecorded)
    assert (first.rate_id, first.rate, first.version) == ("8413@2026-11-05", Decimal(12), 1)
    assert (second.rate_id, second.rate, second.version) == ("8413@2026-11-05", Decimal(5), 2)
    assert second.message_key() == "8413@2026-11-05"  # the compaction key: the latest version stays


async def test_rates_not_yet_published_go_out_once() -> None:
    history = [GstRate("0405", Decimal(12), date(2017, 7, 1)), GstRate("0405", Decimal(5), date(2025, 9, 22))]
    repo = InMemoryRepository(history)  # as a migration leaves them: in the master, never published
    uow = UnitOfWork(repo)
    assert await catalog.publish_rate_master(uow, AT) == 2
    assert sorted(m.rate_id for m in uow.messages if isinstance(m, sales.GstRateRecorded)) == [
        "0405@2017-07-01", "0405@2025-09-22"]
    again = UnitOfWork(repo)
    assert await catalog.publish_rate_master(again, AT) == 0 and again.messages == []
