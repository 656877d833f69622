"""Two copies of the platform on one machine (issue 17): the fault suite's own stack and a second one at another
offset, each with its seven services and two sandboxes as processes, each running the demo at the same time.
Each copy's sandboxes record only that copy's registrations (IRNs, e-way bills from its own databases), and each
copy's `services.sh status` reports only its own processes on its own ports. Figures printed."""

from __future__ import annotations

import asyncio
import sys
import time
from collections.abc import Iterator

import asyncpg
import httpx
import pytest
from o2c.kit import ports
from o2c.kit.own_stack import REPO_ROOT, OwnStack, ServiceProcesses, choose_offset
from o2c.kit.testing import wait_for
from o2c.testsupport.fault_support import Recovery
from sqlalchemy.engine import make_url

pytestmark = [pytest.mark.integration, pytest.mark.faults, pytest.mark.timeout(2400)]

UNITS = (*ports.SERVICE_PORTS, *ports.SANDBOX_PORTS)


@pytest.fixture(scope="module")
def second(own_stack: OwnStack) -> Iterator[ServiceProcesses]:
    """A second copy at the first free offset (300, the issue's, preferred) clear of the first copy's ports."""
    wanted = [o for o in (300, 2000, 2300, 2600, 600) if o != own_stack.offset and ports.clear_of(o, own_stack.offset)]
    stack = OwnStack(own_stack.directory.with_name(own_stack.directory.name + "-second"), choose_offset(wanted))
    stack.start()
    running = ServiceProcesses(stack)
    try:
        running.up()
        yield running
    finally:
        running.down()
        stack.stop()


async def _rows(stack: OwnStack, database: str, sql: str) -> set[str]:
    url = make_url(stack.value(f"O2C_{database.upper()}_DATABASE_URL")).set(drivername="postgresql")
    conn = await asyncpg.connect(url.render_as_string(hide_password=False))
    try:
        return {r[0] for r in await conn.fetch(sql) if r[0]}
    finally:
        await conn.close()


async def registered(stack: OwnStack) -> tuple[set[str], set[str]]:
    """A copy's IRNs (invoices and credit notes) and e-way bill numbers, as its own databases hold them."""
    irns = await _rows(stack, "invoicing", "SELECT irn->>'irn' FROM invoice UNION SELECT irn->>'irn' FROM credit_note")
    ebns = await _rows(stack, "ewaybill", "SELECT ebn FROM ewaybill")
    return irns, ebns


async def at_sandboxes(processes: ServiceProcesses) -> tuple[set[str], set[str]]:
    async with httpx.AsyncClient(timeout=10) as client:
        irp = (await client.get(processes.url("irp-sandbox") + "/sandbox/registrations")).json()["irns"]
        nic = (await client.get(processes.url("nic-sandbox") + "/sandbox/bills")).json()["ewaybill_nos"]
    return set(irp), set(nic)


async def demo(stack: OwnStack, orders: int) -> tuple[int, str, float]:
    started = time.monotonic()
    proc = await asyncio.create_subprocess_exec(
        sys.executable, str(REPO_ROOT / "demo" / "run.py"), "--orders", str(orders), "--no-services",
        "--seed-out", str(stack.directory / "demo" / "seed.json"), env=stack.env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT)
    out, _ = await proc.communicate()
    return proc.returncode or 0, out.decode(errors="replace"), time.monotonic() - started


async def settled(processes: ServiceProcesses, before: tuple[tuple[set[str], set[str]], tuple[set[str], set[str]]]
                  ) -> tuple[set[str], set[str], set[str], set[str]]:
    """The copy's registrations in its databases and at its sandboxes once both agree on what is new (an order
    the demo left in flight may still be registering: the sandbox answers before the database has it), or as
    they stand after a minute (the assertions then say what differs)."""
    (irns_before, ebns_before), (irp_before, nic_before) = before
    give_up = time.monotonic() + 60

    async def probe() -> tuple[set[str], set[str], set[str], set[str]] | None:
        irns, ebns = await registered(processes.stack)
        irp, nic = await at_sandboxes(processes)
        agreed = irp - irp_before == irns - irns_before and nic - nic_before == ebns - ebns_before
        return (irns, ebns, irp, nic) if agreed or time.monotonic() > give_up else None

    return await wait_for(probe, timeout=90, interval=1.0, what="the registrations settled")


def status(processes: ServiceProcesses) -> dict[str, list[str]]:
    lines = processes.script("status").splitlines()
    return {line.split()[0]: line.split() for line in lines if line.strip()}


async def test_two_copies_each_run_the_demo_and_keep_to_their_own(
        processes: ServiceProcesses, second: ServiceProcesses) -> None:
    copies = {f"offset {p.stack.offset}": p for p in (processes, second)}
    before = {name: (await registered(p.stack), await at_sandboxes(p)) for name, p in copies.items()}
    results = await asyncio.gather(*(demo(p.stack, 3) for p in copies.values()))
    for name, (code, out, took) in zip(copies, results, strict=True):
        summary = [line.strip() for line in out.splitlines() if "orders reaching each step" in line]
        Recovery.figures.append(f"TWO COPIES {name}: demo exit {code} in {took:.0f} s; {' '.join(summary)}")
        assert code == 0, f"{name}: demo failed\n{out[-3000:]}"
    for name, p in copies.items():
        (irns_before, ebns_before), (irp_before, nic_before) = before[name]
        irns, ebns, irp, nic = await settled(p, before[name])
        new_irns, new_ebns = irns - irns_before, ebns - ebns_before
        Recovery.figures.append(
            f"TWO COPIES {name}: {len(new_irns)} IRNs and {len(new_ebns)} e-way bills by the demo; its IRP sandbox "
            f"{len(irp - irp_before)} new registrations, its NIC sandbox {len(nic - nic_before)} new bills")
        assert new_irns and new_ebns, f"{name}: the demo registered nothing ({len(new_irns)}, {len(new_ebns)})"
        # Exactly this copy's new registrations reached this copy's sandboxes, and none of the other copy's.
        assert irp - irp_before == new_irns, (name, sorted(irp - irp_before), sorted(new_irns))
        assert nic - nic_before == new_ebns, (name, sorted(nic - nic_before), sorted(new_ebns))
        others = [o for o in copies.values() if o is not p]
        for other in others:
            assert not new_ebns & (await at_sandboxes(other))[1], f"{name}: a bill of the other copy's sandbox"
        # services.sh of this copy: its own pids, on its own ports, nothing of the other copy.
        lines = status(p)
        for unit in UNITS:
            pid = p.pid(unit)
            assert pid is not None and lines[unit][1] == "up", (name, unit, lines.get(unit))
            assert lines[unit][3] == str(pid) and lines[unit][5] == str(p.stack.port(unit)), (name, lines[unit])
            assert all(other.pid(unit) != pid for other in others)
        Recovery.figures.append(f"TWO COPIES {name}: services.sh status — "
                                + ", ".join(f"{u} pid {lines[u][3]} port {lines[u][5]}" for u in UNITS))
