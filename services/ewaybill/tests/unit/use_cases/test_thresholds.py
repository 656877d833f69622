"""Threshold rows as compliance keeps them: added (never before its own start), ended only earlier than it already
ends; a row added applies to the next decision."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from o2c.contracts.v1.ewaybill import EwayBillNotRequired
from o2c.ewaybill.service_layer import use_cases
from o2c.ewaybill.service_layer.thresholds import ThresholdRefused, add_threshold, end_threshold
from o2c.testsupport.ewaybill.fakes import NOW, D, InMemoryEwayBills, SandboxGateway, invoice


async def test_a_state_row_added_applies_to_the_next_invoice(ewb: InMemoryEwayBills,
                                                              portal: SandboxGateway) -> None:
    await add_threshold(ewb.uow(), value_above=D("100000.00"), effective_from=date(2018, 4, 1), effective_to=None,
                        state_code="29", movement="intra_state", note="state notification")
    uow = ewb.uow()
    await use_cases.decide_for_invoice(uow, invoice(), portal, NOW)
    [decided] = uow.messages
    assert isinstance(decided, EwayBillNotRequired) and decided.threshold == D("100000.00")


async def test_a_row_cannot_end_before_it_starts(ewb: InMemoryEwayBills) -> None:
    with pytest.raises(ThresholdRefused) as refused:
        await add_threshold(ewb.uow(), value_above=D("1.00"), effective_from=date(2026, 4, 1),
                            effective_to=date(2026, 3, 31), state_code=None, movement=None, note="")
    assert refused.value.field == "effective_to"


async def test_ending_a_row_only_ever_brings_its_end_earlier(ewb: InMemoryEwayBills) -> None:
    row = await add_threshold(ewb.uow(), value_above=D("75000.00"), effective_from=date(2026, 4, 1),
                              effective_to=date(2026, 12, 31), state_code="27", movement=None, note="")
    at = datetime(2026, 11, 5, 6, 0)
    with pytest.raises(ThresholdRefused, match="can only end earlier"):
        await end_threshold(ewb.uow(), row.id, effective_to=date(2027, 1, 31), reason="r", ended_by="c", now=at)
    with pytest.raises(ThresholdRefused, match="must not be before"):
        await end_threshold(ewb.uow(), row.id, effective_to=date(2026, 3, 1), reason="r", ended_by="c", now=at)
    ended = await end_threshold(ewb.uow(), row.id, effective_to=date(2026, 11, 30), reason="withdrawn",
                                ended_by="compliance-1", now=at)
    assert (ended.effective_to, ended.ended_by, ended.end_reason) == (date(2026, 11, 30), "compliance-1", "withdrawn")
    with pytest.raises(ThresholdRefused) as missing:
        await end_threshold(ewb.uow(), 999, effective_to=date(2026, 11, 30), reason="r", ended_by="c",
                            now=at + timedelta(days=1))
    assert missing.value.missing
