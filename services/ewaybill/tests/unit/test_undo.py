"""Undo after documents exist (issue 21): the coordinator's CancelEwayBill within 24 hours (answered again when
re-sent), past them refused so the bill lapses; a cancelled bill's invoice gets a new bill, once its invoice
stands (a cancelled invoice's re-issue gets its own)."""

from __future__ import annotations

import importlib.util
import sys
from datetime import timedelta
from pathlib import Path
from types import ModuleType

import pytest
from o2c.contracts.samples import sample
from o2c.contracts.v1.ewaybill import EwayBillCancellationRefused, EwayBillCancelled, EwayBillGenerated
from o2c.contracts.v1.sales import CancelEwayBill
from o2c.ewaybill.service_layer import use_cases
from o2c.ewaybill.service_layer.ports import EwayBillRecord


def _sibling(name: str) -> ModuleType:
    """A sibling test module loaded under its own name (a bare `import test_use_cases` would collide with the
    other services' modules of that name in one pytest run)."""
    path = Path(__file__).resolve().parent / f"{name}.py"
    spec = importlib.util.spec_from_file_location(f"{__name__}.{name}", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


_uc = _sibling("test_use_cases")
NOW = _uc.NOW
FakeRepository = _uc.FakeRepository
Published = _uc.Published
SandboxGateway = _uc.SandboxGateway
invoice = _uc.invoice


@pytest.fixture
def repo() -> FakeRepository:
    return FakeRepository()


@pytest.fixture
def portal() -> SandboxGateway:
    return SandboxGateway()


def command(record: EwayBillRecord) -> CancelEwayBill:
    assert record.ebn is not None
    return sample(CancelEwayBill).model_copy(update={
        "order_id": record.order_id, "shipment_id": record.shipment_id, "invoice_id": record.invoice_id,
        "ewaybill_no": record.ebn, "request_id": "ord:shipment-1:cancel-ewaybill"})


async def test_cancelled_within_24_hours_and_a_resent_command_answered_again(
        repo: FakeRepository, portal: SandboxGateway) -> None:
    record = await use_cases.decide_for_invoice(invoice(), repo, portal, Published(), NOW)
    published = Published()
    for _ in range(2):
        await use_cases.on_cancel_command(command(record), repo, portal, published, NOW + timedelta(hours=2))
    first, again = published
    assert isinstance(first, EwayBillCancelled) and first.request_id == "ord:shipment-1:cancel-ewaybill"
    assert isinstance(again, EwayBillCancelled) and again.ewaybill_no == first.ewaybill_no
    assert (await repo.get(record.id)).status == "cancelled"  # type: ignore[union-attr]


async def test_past_24_hours_refused_and_the_bill_lapses(repo: FakeRepository, portal: SandboxGateway) -> None:
    record = await use_cases.decide_for_invoice(invoice(), repo, portal, Published(), NOW)
    published = Published()
    await use_cases.on_cancel_command(command(record), repo, portal, published, NOW + timedelta(hours=25))
    [refused] = published
    assert isinstance(refused, EwayBillCancellationRefused) and "24 hours" in refused.reason
    kept = await repo.get(record.id)
    assert kept is not None and kept.status == "generated" and "cancellation refused" in (kept.last_refusal or "")


async def test_a_new_bill_for_the_same_invoice_after_cancellation(repo: FakeRepository,
                                                                  portal: SandboxGateway) -> None:
    record = await use_cases.decide_for_invoice(invoice(), repo, portal, Published(), NOW)
    first = record.ebn
    with pytest.raises(use_cases.UseCaseError, match="only a cancelled one"):
        await use_cases.regenerate(record.id, use_cases.Corrections(), repo, portal, Published(), NOW)
    await use_cases.on_cancel_command(command(record), repo, portal, Published(), NOW + timedelta(hours=1))
    published = Published()
    new = await use_cases.regenerate(record.id, use_cases.Corrections(vehicle_no="KA09AB1234"), repo, portal,
                                     published, NOW + timedelta(hours=2))
    [generated] = published
    assert isinstance(generated, EwayBillGenerated) and generated.replaces_ewaybill_no == first
    assert new.status == "generated" and new.replaced[0]["ewaybill_no"] == first
    await use_cases.on_cancel_command(command(new), repo, portal, Published(), NOW + timedelta(hours=3))
    await use_cases.on_invoice_cancelled(record.invoice_id, repo, portal, Published(), NOW + timedelta(hours=3))
    with pytest.raises(use_cases.UseCaseError, match="its re-issue gets its own"):
        await use_cases.regenerate(record.id, use_cases.Corrections(), repo, portal, Published(), NOW)
