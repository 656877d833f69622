"""Helpers of the fault suite: readiness, consumer restarts from the logs, the GST series check, recovery times."""

from __future__ import annotations

import re
import time
from typing import ClassVar

import asyncpg
import httpx
from o2c.kit.own_stack import OwnStack, ServiceProcesses
from sqlalchemy.engine import make_url

SERVICES = ("sales", "credit", "inventory", "dispatch", "invoicing", "ewaybill", "notify")


async def ready(url: str) -> bool:
    try:
        async with httpx.AsyncClient(timeout=2) as client:
            return (await client.get(url + "/readyz")).status_code == 200
    except httpx.HTTPError:
        return False


def consumer_restarts(processes: ServiceProcesses) -> dict[str, int]:
    """Consumer loops restarted inside each process (the consumer logs each one), from its log file."""
    return {name: processes.log(name).count("consumer interrupted") for name in SERVICES}


async def contiguous_invoice_series(stack: OwnStack) -> dict[str, int]:
    """Every GST invoice series of the stack's invoicing database has no gap and no double, and its counter
    stands at its last number; returns the number of invoices per series."""
    url = make_url(stack.value("O2C_INVOICING_DATABASE_URL")).set(drivername="postgresql")
    conn = await asyncpg.connect(url.render_as_string(hide_password=False))
    try:
        rows = await conn.fetch("SELECT supplier_gstin, financial_year, invoice_no FROM invoice")
        counters = await conn.fetch("SELECT supplier_gstin, financial_year, prefix, last_sequence "
                                    "FROM document_series")
    finally:
        await conn.close()
    series: dict[str, list[int]] = {}
    for row in rows:
        prefix, number = re.fullmatch(r"(.*?)(\d+)", row["invoice_no"]).groups()  # type: ignore[union-attr]
        series.setdefault(f"{row['supplier_gstin']}/{row['financial_year']}/{prefix}", []).append(int(number))
    for name, numbers in series.items():
        assert sorted(numbers) == list(range(1, len(numbers) + 1)), f"series {name} has a gap or a double"
    last = {f"{c['supplier_gstin']}/{c['financial_year']}/{c['prefix']}": c["last_sequence"] for c in counters}
    for name, numbers in series.items():
        if name in last:
            assert last[name] == len(numbers), f"series {name}: counter {last[name]}, {len(numbers)} invoices"
    return {name: len(numbers) for name, numbers in series.items()}


class Recovery:
    """Per fault: from the restarted part answering /readyz 200 to the last in-flight hop done."""

    figures: ClassVar[list[str]] = []

    def __init__(self, fault: str, ready: str = "/readyz 200", done: str = "last in-flight hop done") -> None:
        self.fault, self.ready_at, self.ready_text, self.done_text = fault, 0.0, ready, done

    def ready(self) -> None:
        self.ready_at = time.monotonic()

    def done(self) -> float:
        took = time.monotonic() - self.ready_at
        line = f"RECOVERY {self.fault}: {self.ready_text} → {self.done_text} {took:.2f} s"
        Recovery.figures.append(line)
        print("\n" + line)
        return took
