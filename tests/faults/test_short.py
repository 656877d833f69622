"""The fault suite's short version, inside `make test`: on the suite's own stack with every service a real
process, 5 orders each through (1) a kill -9 of invoicing mid-flow, (2) a PostgreSQL restart, (3) two poison
records of different keys in one partition. Every order reaches its end, nothing is done twice, the GST invoice
series has no gap, no request answers 500, and no consumer restarts over a poison record. The full suite is
`make test-faults` (tests/faults/test_full.py)."""

from __future__ import annotations

import asyncio
import contextlib
import uuid

import pytest
from aiokafka import AIOKafkaProducer
from o2c.contracts.topics import events_topic
from o2c.kit.own_stack import OwnStack, ServiceProcesses
from o2c.testsupport.fault_chain import (
    Chain,
    People,
    finish,
    invoiced,
    no_duplicated_effect,
    pick_and_capture,
    place,
    prepare_batch,
    whole,
)
from o2c.testsupport.fault_support import Recovery, consumer_restarts, contiguous_invoice_series, ready
from o2c.testsupport.waits import until

pytestmark = [pytest.mark.integration, pytest.mark.timeout(600)]
ORDERS = 5


async def test_kill_9_of_invoicing_mid_flow(chain: Chain, people: People, processes: ServiceProcesses,
                                            own_stack: OwnStack) -> None:
    batch = await prepare_batch(chain, people, "kill")
    runs = await asyncio.gather(*(place(chain, people, batch) for _ in range(ORDERS)))
    await asyncio.gather(*(pick_and_capture(chain, people, run) for run in runs))
    # ShipmentReady is on its way to invoicing for all five: kill it with no chance to finish anything.
    before = processes.pid("invoicing")
    processes.kill9("invoicing")
    recovery = Recovery("kill -9 invoicing mid-flow (5 shipments ready)")
    await asyncio.to_thread(processes.up)
    assert processes.pid("invoicing") not in (None, before)
    await chain.until("invoicing ready again", lambda: ready(processes.url("invoicing")))
    recovery.ready()
    await asyncio.gather(*(chain.until("the invoice with its IRN", lambda r=run: invoiced(chain, people, r))
                           for run in runs))
    took = recovery.done()
    await asyncio.gather(*(finish(chain, people, run) for run in runs))
    await no_duplicated_effect(chain, people, batch)
    await contiguous_invoice_series(own_stack)
    assert not chain.server_errors, chain.server_errors
    assert took < 60, f"{took:.1f} s to recover"


async def test_postgres_restart_under_a_flow_answers_no_500(chain: Chain, people: People,
                                                              processes: ServiceProcesses,
                                                              own_stack: OwnStack) -> None:
    batch = await prepare_batch(chain, people, "pg")
    runs = await asyncio.gather(*(place(chain, people, batch) for _ in range(ORDERS)))
    flows = asyncio.gather(*(whole(chain, people, run) for run in runs))
    statuses: list[int] = []
    stop = asyncio.Event()

    async def watch() -> None:  # readers keep asking every service while PostgreSQL goes away
        import httpx

        async with httpx.AsyncClient(timeout=10) as client:
            while not stop.is_set():
                for service, path, who in (
                        ("sales", f"/orders/{runs[0].order_id}", people.coordinator),
                        ("invoicing", f"/invoices?order_id={runs[0].order_id}", people.accountant),
                        ("dispatch", "/pick-lists?warehouse=PNQ&status=open", people.picker),
                        ("credit", f"/receivables/{batch.customer_id}", people.accountant)):
                    with contextlib.suppress(httpx.HTTPError):
                        statuses.append((await client.get(processes.url(service) + path, headers=who)).status_code)
                with contextlib.suppress(TimeoutError):  # until told to stop, asking again every 0.1 s
                    await asyncio.wait_for(stop.wait(), timeout=0.1)

    async def asked_once() -> bool:
        return len(statuses) >= 4

    watcher = asyncio.create_task(watch())
    await until(asked_once, timeout=30, what="the readers to ask every service once before PostgreSQL goes away")
    await asyncio.to_thread(own_stack.script, "pg-stop")
    await asyncio.to_thread(own_stack.script, "pg-start")
    # The restarted part is the database: it answers once pg-start returns; the in-flight hops are every step
    # left of the five orders (they were all in flight when it went away).
    recovery = Recovery("PostgreSQL restart (5 orders in flight)", "accepting connections", "all 5 orders closed")
    recovery.ready()
    await flows
    recovery.done()
    stop.set()
    await watcher
    Recovery.figures.append(f"POSTGRESQL restart: {len(statuses)} reads while it restarted: "
                            f"{statuses.count(200)} × 200, {statuses.count(503)} × 503, {statuses.count(500)} × 500; "
                            f"{len(chain.server_errors)} calls of the flows answered a 5xx other than 503")
    assert 500 not in statuses and not chain.server_errors, (statuses.count(500), chain.server_errors)
    assert statuses.count(503) + statuses.count(200) == len(statuses), set(statuses)
    await no_duplicated_effect(chain, people, batch)
    await contiguous_invoice_series(own_stack)


async def test_two_poison_records_of_different_keys_in_one_partition(chain: Chain, people: People,
                                                                      processes: ServiceProcesses,
                                                                      own_stack: OwnStack) -> None:
    from o2c.credit.app import DEFINITION as CREDIT
    from o2c.dispatch.app import DEFINITION as DISPATCH
    from o2c.ewaybill.app import DEFINITION as EWAYBILL
    from o2c.inventory.app import DEFINITION as INVENTORY
    from o2c.invoicing.app import DEFINITION as INVOICING
    from o2c.notify.app import DEFINITION as NOTIFY
    from o2c.sales.app import DEFINITION as SALES

    topic = events_topic("sales")
    readers = {d.name for d in (SALES, CREDIT, INVENTORY, DISPATCH, INVOICING, EWAYBILL, NOTIFY)
               if topic in d.subscribes_to}
    batch = await prepare_batch(chain, people, "poison")
    restarts, pids = consumer_restarts(processes), {name: processes.pid(name) for name in readers}
    run_tag = uuid.uuid4().hex[:8]
    keys = [f"poison-{run_tag}-a", f"poison-{run_tag}-b"]
    producer = AIOKafkaProducer(bootstrap_servers=own_stack.bootstrap, acks="all", **own_stack.kafka_admin())
    await producer.start()
    try:
        for key in keys:  # undecodable bytes, both in partition 0 of the topic, in one poll
            await producer.send_and_wait(topic, b"\xff\xfe not an envelope", key=key.encode(), partition=0)
    finally:
        await producer.stop()
    runs = await asyncio.gather(*(place(chain, people, batch) for _ in range(ORDERS)))
    await asyncio.gather(*(whole(chain, people, run) for run in runs))

    async def dead_letters(service: str) -> list[dict[str, object]]:
        found = await chain.call(service, "GET", "/admin/dead-letters", people.sre, params={"limit": 500})
        return [d for d in found if d["key"] in keys]

    positions: set[tuple[str, int, int]] = set()
    for service in sorted(readers):
        parked = await chain.until(f"{service} to dead-letter both poison records",
                                   lambda s=service: _both(dead_letters, s))
        assert sorted(str(d["key"]) for d in parked) == keys, (service, parked)
        positions |= {(str(d["topic"]), int(str(d["partition"])), int(str(d["offset"]))) for d in parked}
    assert len(positions) == 2, positions  # one record each, dead-lettered by every reader
    for topic_name, partition, offset in sorted(positions):  # one action per record clears every reader's
        done = await chain.call("sales", "POST", "/dead-letter-groups/discard", people.sre, json={
            "topic": topic_name, "partition": partition, "offset": offset, "reason": "fault suite poison record"})
        assert sorted(o["service"] for o in done["outcomes"] if o["status"] == "discarded") == sorted(readers), done
    for service in sorted(readers):
        assert await dead_letters(service) == []
    restarted = {name: n - restarts[name] for name, n in consumer_restarts(processes).items() if n != restarts[name]}
    Recovery.figures.append(f"POISON two undecodable records of different keys in partition 0 of {topic}: "
                            f"{2 * len(readers)} dead letters in {len(readers)} services, cleared with 2 actions; "
                            f"consumer restarts {sum(restarted.values())}")
    assert not restarted, f"no consumer restarted over a poison record: {restarted}"
    assert {name: processes.pid(name) for name in readers} == pids, "no process restarted"
    await no_duplicated_effect(chain, people, batch)
    await contiguous_invoice_series(own_stack)
    assert not chain.server_errors, chain.server_errors


async def _both(dead_letters: object, service: str) -> list[dict[str, object]] | None:
    found = await dead_letters(service)  # type: ignore[operator]
    return found if len(found) == 2 else None
