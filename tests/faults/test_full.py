"""The full fault suite (`make test-faults`, marker `faults`; deselected from a plain pytest and `make test`):
batches of orders through the chain of real service processes on the suite's own stack while each service in
turn is killed with SIGKILL where its hop is in flight (invoicing while its IRP call is, ewaybill while its NIC
call is), the broker is stopped 30 s, Redis is flushed, and records are delivered twice (the same message id,
and the same fact under a new id). Every order reaches its end, nothing is done twice, the GST invoice series
has no gap, no request answers 500, and each recovery (the restarted part answering → the last in-flight hop
done) is printed and ≤ 10 s."""

from __future__ import annotations

import asyncio
import subprocess
import time
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from o2c.contracts.envelope import Envelope
from o2c.contracts.topics import events_topic
from o2c.kit.own_stack import OwnStack, ServiceProcesses
from o2c.testsupport.fault_chain import (
    Batch,
    Chain,
    OrderRun,
    People,
    closed,
    confirm_and_capture,
    documents_and_gate_out,
    ewaybill_decided,
    invoiced,
    no_duplicated_effect,
    notified,
    pick_and_capture,
    pick_list,
    place,
    prepare_batch,
    whole,
)
from o2c.testsupport.fault_support import Recovery, contiguous_invoice_series, ready
from o2c.testsupport.waits import elapse

pytestmark = [pytest.mark.integration, pytest.mark.faults, pytest.mark.timeout(1800)]
ORDERS = 5
TARGET = 10.0  # seconds from the restarted part answering to the last in-flight hop done


async def kill_and_restart(chain: Chain, processes: ServiceProcesses, unit: str, fault: str,
                           hop: Callable[[], Awaitable[Any]]) -> float:
    before = processes.pid(unit)
    processes.kill9(unit)
    await asyncio.to_thread(processes.up)
    assert processes.pid(unit) not in (None, before)
    await chain.until(f"{unit} ready again", lambda: ready(processes.url(unit)))
    recovery = Recovery(fault)
    recovery.ready()
    await hop()
    return recovery.done()


async def all_of(chain: Chain, what: str, probe: Callable[[OrderRun], Awaitable[Any]], runs: list[OrderRun]) -> None:
    await asyncio.gather(*(chain.until(f"{what} of {run.order_id}", lambda r=run: probe(r)) for run in runs))


async def checked(chain: Chain, people: People, batch: Batch, own_stack: OwnStack) -> None:
    await no_duplicated_effect(chain, people, batch)
    await contiguous_invoice_series(own_stack)
    assert not chain.server_errors, chain.server_errors


@pytest.mark.parametrize("unit", ["sales", "credit", "inventory", "dispatch"])
async def test_kill_9_while_orders_are_being_released(unit: str, chain: Chain, people: People,
                                                      processes: ServiceProcesses, own_stack: OwnStack) -> None:
    batch = await prepare_batch(chain, people, f"k{unit}")
    runs = await asyncio.gather(*(place(chain, people, batch) for _ in range(ORDERS)))
    lists: dict[str, dict[str, Any]] = {}

    async def released_and_listed() -> None:
        found = await asyncio.gather(*(pick_list(chain, people, run) for run in runs))
        lists.update({run.order_id: f for run, f in zip(runs, found, strict=True)})

    took = await kill_and_restart(chain, processes, unit, f"kill -9 {unit} (5 orders being released)",
                                  released_and_listed)
    await asyncio.gather(*(confirm_and_capture(chain, people, run, lists[run.order_id]) for run in runs))
    await asyncio.gather(*(documents_and_gate_out(chain, people, run) for run in runs))
    await asyncio.gather(*(closed(chain, people, run) for run in runs))
    await checked(chain, people, batch, own_stack)
    assert took <= TARGET, f"{unit}: {took:.1f} s"


async def test_kill_9_of_invoicing_during_an_irp_call(chain: Chain, people: People, processes: ServiceProcesses,
                                                      own_stack: OwnStack) -> None:
    batch = await prepare_batch(chain, people, "kirp")
    runs = await asyncio.gather(*(place(chain, people, batch) for _ in range(ORDERS)))
    irp = processes.url("irp-sandbox")
    async with httpx.AsyncClient() as client:  # the IRP takes the next registration but answers late
        (await client.post(irp + "/sandbox/slow", json={"seconds": 120, "calls": 1})).raise_for_status()
    await asyncio.gather(*(pick_and_capture(chain, people, run) for run in runs))

    async def call_in_flight() -> bool:
        async with httpx.AsyncClient() as client:
            return (await client.get(irp + "/sandbox/slow")).json()["slow_calls"] == 0

    await chain.until("an IRP call in flight", call_in_flight)
    took = await kill_and_restart(chain, processes, "invoicing", "kill -9 invoicing during an IRP call",
                                  lambda: all_of(chain, "the IRN", lambda r: invoiced(chain, people, r), runs))
    await asyncio.gather(*(documents_and_gate_out(chain, people, run) for run in runs))
    await asyncio.gather(*(closed(chain, people, run) for run in runs))
    await checked(chain, people, batch, own_stack)
    assert took <= TARGET, f"invoicing: {took:.1f} s"


async def test_kill_9_of_ewaybill_during_a_nic_call(chain: Chain, people: People, processes: ServiceProcesses,
                                                    own_stack: OwnStack) -> None:
    batch = await prepare_batch(chain, people, "knic")
    runs = await asyncio.gather(*(place(chain, people, batch) for _ in range(ORDERS)))
    nic = processes.url("nic-sandbox")
    async with httpx.AsyncClient() as client:  # the portal makes the next e-way bill but answers late
        (await client.post(nic + "/sandbox/slow", json={"seconds": 120, "calls": 1})).raise_for_status()
    await asyncio.gather(*(pick_and_capture(chain, people, run) for run in runs))

    async def call_in_flight() -> bool:
        async with httpx.AsyncClient() as client:
            return (await client.get(nic + "/sandbox/slow")).json()["slow_calls"] == 0

    await chain.until("a NIC call in flight", call_in_flight)
    took = await kill_and_restart(
        chain, processes, "ewaybill", "kill -9 ewaybill during a NIC call",
        lambda: all_of(chain, "the e-way bill", lambda r: ewaybill_decided(chain, people, r), runs))
    await asyncio.gather(*(documents_and_gate_out(chain, people, run) for run in runs))
    await asyncio.gather(*(closed(chain, people, run) for run in runs))
    await checked(chain, people, batch, own_stack)
    assert took <= TARGET, f"ewaybill: {took:.1f} s"


async def test_kill_9_of_notify_at_gate_out(chain: Chain, people: People, processes: ServiceProcesses,
                                            own_stack: OwnStack) -> None:
    batch = await prepare_batch(chain, people, "knot")
    runs = await asyncio.gather(*(place(chain, people, batch) for _ in range(ORDERS)))
    await asyncio.gather(*(pick_and_capture(chain, people, run) for run in runs))
    await asyncio.gather(*(documents_and_gate_out(chain, people, run) for run in runs))
    took = await kill_and_restart(
        chain, processes, "notify", "kill -9 notify (5 dispatch notices on their way)",
        lambda: all_of(chain, "the dispatch notice", lambda r: notified(chain, people, r), runs))
    await asyncio.gather(*(closed(chain, people, run) for run in runs))
    await checked(chain, people, batch, own_stack)
    assert took <= TARGET, f"notify: {took:.1f} s"


async def test_broker_stopped_30_s_mid_flow(chain: Chain, people: People, processes: ServiceProcesses,
                                            own_stack: OwnStack) -> None:
    batch = await prepare_batch(chain, people, "kafka")
    runs = await asyncio.gather(*(place(chain, people, batch) for _ in range(ORDERS)))
    flows = asyncio.gather(*(whole(chain, people, run) for run in runs))
    await asyncio.to_thread(own_stack.script, "kafka-stop")
    await elapse(30, "the outage itself (not a wait for a result): the orders' calls keep going")
    await asyncio.to_thread(own_stack.script, "kafka-start")
    recovery = Recovery("broker stopped 30 s (5 orders in flight)", "broker answering", "all 5 orders closed")
    recovery.ready()
    await flows
    recovery.done()
    await checked(chain, people, batch, own_stack)


async def test_redis_flushed_mid_flow(chain: Chain, people: People, processes: ServiceProcesses,
                                      own_stack: OwnStack) -> None:
    batch = await prepare_batch(chain, people, "redis")
    runs = await asyncio.gather(*(place(chain, people, batch) for _ in range(ORDERS)))
    flows = asyncio.gather(*(whole(chain, people, run) for run in runs))
    port = own_stack.redis_url.rsplit(":", 1)[1].split("/")[0]
    done = await asyncio.to_thread(subprocess.run, ["redis-cli", "-p", port, "FLUSHALL"], capture_output=True,
                                   text=True, timeout=30)
    assert done.stdout.strip() == "OK", done.stderr
    recovery = Recovery("Redis flushed (5 orders in flight)", "FLUSHALL answered", "all 5 orders closed")
    recovery.ready()
    await flows
    recovery.done()
    await checked(chain, people, batch, own_stack)


async def test_duplicates_with_the_same_and_a_new_message_id_change_nothing(
        chain: Chain, people: People, processes: ServiceProcesses, own_stack: OwnStack) -> None:
    batch = await prepare_batch(chain, people, "dup")
    runs = await asyncio.gather(*(place(chain, people, batch) for _ in range(ORDERS)))
    await asyncio.gather(*(whole(chain, people, run) for run in runs))
    topic = events_topic("dispatch")
    wanted = {run.order_id for run in runs}
    records = []
    reader = AIOKafkaConsumer(topic, bootstrap_servers=own_stack.bootstrap, auto_offset_reset="earliest",
                              enable_auto_commit=False, group_id=f"fault-dup-{uuid.uuid4().hex[:6]}",
                              **own_stack.kafka_admin())
    await reader.start()
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and len({r.key for r in records}) < len(wanted):
            for batch_records in (await reader.getmany(timeout_ms=1000)).values():
                records += [r for r in batch_records if r.key and r.key.decode() in wanted]
    finally:
        await reader.stop()
    ready_records = [r for r in records if Envelope.from_bytes(r.value or b"").type == "ShipmentReady"]
    assert {r.key for r in ready_records} == {k.encode() for k in wanted}
    producer = AIOKafkaProducer(bootstrap_servers=own_stack.bootstrap, acks="all", **own_stack.kafka_admin())
    await producer.start()
    try:
        for record in ready_records:
            headers = list(record.headers or [])
            await producer.send_and_wait(topic, record.value, key=record.key, headers=headers)  # same id
            envelope = Envelope.from_bytes(record.value or b"")
            again = envelope.model_copy(update={"message_id": uuid.uuid4()})  # the same fact, a new id
            await producer.send_and_wait(topic, again.to_bytes(), key=record.key, headers=again.headers())
    finally:
        await producer.stop()

    async def caught_up() -> bool:  # every reader of the topic has read past the duplicates
        for service in ("invoicing", "inventory", "sales", "notify", "ewaybill"):
            state = await chain.call(service, "GET", "/admin/messaging", people.sre)
            lag = (state.get("consumer") or {}).get("lag") or {}
            if any(topic in name and behind for name, behind in lag.items()):
                return False
        return True

    await chain.until("the readers to take the duplicates", caught_up)
    await checked(chain, people, batch, own_stack)
