"""The IRN worker in its own process (`python -m o2c.invoicing.entrypoints.irn_worker`, the service with
`IRN_WORKER=separate`), with the IRP sandbox as a process too, as deployed: every shipment sent through the broker
gets exactly one InvoiceIssued, and the worker (not the service) registers every IRN. The timing of this path
is measured in bench/suites/test_invoicing_measures.py."""

from __future__ import annotations

import os
import subprocess
import sys
from types import ModuleType
from typing import Any

import pytest
import sqlalchemy as sa
from o2c.invoicing.app import DEFINITION
from o2c.kit.testing import ServiceHarness, wait_for

pytestmark = pytest.mark.integration
SHIPMENTS = 6


async def test_a_separate_irn_worker_registers_every_invoice_and_each_shipment_is_invoiced_once(
    harness: ServiceHarness, broker: Any, given: ModuleType, irp_url: str
) -> None:
    invoicing = await harness.start(DEFINITION, irp_mode="sandbox", irp_base_url=irp_url, irn_worker="separate")
    await given.rates_replicated(invoicing)
    worker = subprocess.Popen(
        [sys.executable, "-m", "o2c.invoicing.entrypoints.irn_worker"], stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=os.environ | {"O2C_INVOICING_DATABASE_URL": harness.urls["invoicing"],
                          "O2C_INVOICING_IRP_BASE_URL": irp_url, "O2C_INVOICING_TOPIC_PREFIX": harness.prefix})
    try:
        shipments = [given.ready(given.line(1, "3", price="125.50"), given.line(2, "1")) for _ in range(SHIPMENTS)]
        for shipment in shipments:
            await broker.send(shipment, "dispatch")
        await broker.send(shipments[0], "dispatch")  # dispatch sends one again (a new message id)

        async def claimants() -> list[str] | None:
            async with invoicing.runtime.engine.connect() as conn:
                rows = (await conn.execute(sa.text(
                    "SELECT irn_claimed_by FROM invoice WHERE irn_status = 'registered'"))).scalars().all()
            return list(rows) if len(rows) == SHIPMENTS else None

        registered_by = await wait_for(claimants, timeout=90, what="every IRN registered by the separate worker")
        assert {holder.rsplit("/", 1)[-1] for holder in registered_by} == {"irn-worker"}
    finally:
        worker.terminate()
        worker.wait(timeout=10)
    issued = await broker.published("InvoiceIssued", at_least=SHIPMENTS)
    per_shipment = [m["payload"]["shipment_id"] for m in issued]
    assert sorted(per_shipment) == sorted(s.shipment_id for s in shipments)  # each once, none twice
    assert len(await broker.published("IrnRegistered", at_least=SHIPMENTS)) == SHIPMENTS
