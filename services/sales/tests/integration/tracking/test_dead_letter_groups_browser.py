"""One undecodable record that three services read leaves a dead letter in each; the SRE's workspace shows
them as one record and discards all three with one action (issue 17), in a real browser (Debian's headless
Chromium driven by Playwright) against sales, invoicing and notify on real ports (real Kafka, PostgreSQL)."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest
import uvicorn
from aiokafka import AIOKafkaProducer
from o2c.contracts.topics import events_topic
from o2c.invoicing.app import DEFINITION as INVOICING
from o2c.kit.local_issuer import LocalIssuer
from o2c.kit.messaging.kafka_security import kafka_client_options
from o2c.kit.testing import ChainDriver, ServiceHarness, serve_app, wait_for
from o2c.notify.app import DEFINITION as NOTIFY
from o2c.sales.app import DEFINITION as SALES
from o2c.testsupport.sales.browser_support import CHROMIUM, CHROMIUM_ARGS, CspWatch, login

pytestmark = [pytest.mark.integration, pytest.mark.e2e, pytest.mark.timeout(300)]

READERS = ("invoicing", "notify", "sales")  # of dispatch's events, the ones started here
NOT_STARTED = ("credit", "inventory", "dispatch", "ewaybill")


@pytest.fixture
async def three(harness: ServiceHarness, issuer: LocalIssuer, monkeypatch: pytest.MonkeyPatch
                ) -> AsyncIterator[tuple[ChainDriver, str]]:
    servers: list[tuple[uvicorn.Server, asyncio.Task[None]]] = []
    invoicing, notify = await asyncio.gather(harness.start(INVOICING, irp_mode="off"), harness.start(NOTIFY))
    try:
        for name, running in (("invoicing", invoicing), ("notify", notify)):
            server, task, url = await serve_app(running.app)
            servers.append((server, task))
            monkeypatch.setenv(f"O2C_{name.upper()}_URL", url)
        for name in NOT_STARTED:  # nothing listens there: the group says they did not answer
            monkeypatch.setenv(f"O2C_{name.upper()}_URL", "http://127.0.0.1:9")
        sales = await harness.start(SALES)
        server, task, url = await serve_app(sales.app)
        servers.append((server, task))
        yield ChainDriver(issuer, {"sales": sales, "invoicing": invoicing, "notify": notify}), url
    finally:
        for server, task in servers:
            server.should_exit = True
            await task


async def open_letters(s: ChainDriver, who: dict[str, str], key: str) -> dict[str, list[dict[str, Any]]]:
    found = {}
    for service in READERS:
        letters = await s.call(service, "GET", "/admin/dead-letters", who, params={"status": "open"})
        found[service] = [d for d in letters if d["key"] == key]
    return found


async def test_sre_discards_every_dead_letter_of_one_undecodable_record_with_one_action(
        three: tuple[ChainDriver, str], harness: ServiceHarness) -> None:
    from playwright.async_api import async_playwright, expect

    s, sales_url = three
    sre_token = s.raw("SRE01", "sre")
    sre = {"Authorization": "Bearer " + sre_token}
    key = f"poison-{uuid.uuid4().hex[:8]}"
    producer = AIOKafkaProducer(bootstrap_servers=harness.bootstrap, acks="all", **kafka_client_options())
    await producer.start()
    try:
        sent = await producer.send_and_wait(harness.prefix + events_topic("dispatch"), b"\xff\xfe not an envelope",
                                            key=key.encode())
    finally:
        await producer.stop()

    async def everywhere() -> dict[str, list[dict[str, Any]]] | None:
        found = await open_letters(s, sre, key)
        return found if all(len(v) == 1 for v in found.values()) else None

    letters = await wait_for(everywhere, timeout=60, what="a dead letter of the record in each reader")
    group = f"{sent.topic}/{sent.partition}/{sent.offset}"
    assert {d["topic"] + "/" + str(d["partition"]) + "/" + str(d["offset"]) for v in letters.values() for d in v} \
        == {group}

    csp = CspWatch()
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            ctx = await csp.watch(await browser.new_context(viewport={"width": 1280, "height": 900}))
            ops = await login(ctx, sales_url + "/console/", sre_token, "#/work/sre")
            row = ops.locator(f"[data-testid=dead-letter-group][data-group='{group}']")
            await expect(row).to_be_visible(timeout=30000)
            await expect(row.locator("[data-field=key]")).to_have_text(key)
            await expect(row.locator("[data-field=services]")).to_have_text(", ".join(READERS))
            await expect(row.locator("[data-field=count]")).to_have_text("3")
            # The per-service list still shows each of the three.
            for service in READERS:
                await expect(ops.locator(f"[data-testid=dead-letter][data-service={service}]"
                                         f"[data-key='{key}']")).to_have_count(1)
            await row.locator("button[data-group-discard]").click()  # no reason: refused on the page
            await expect(ops.locator("#toast")).to_contain_text("Say why")
            await row.locator("[data-group-reason]").fill("undecodable bytes from a broken producer")
            await row.locator("button[data-group-discard]").click()
            await expect(ops.locator("#toast")).to_contain_text("Discard: 3 message(s)")
            await expect(row).to_have_count(0)
            await expect(ops.locator(f"[data-testid=dead-letter][data-key='{key}']")).to_have_count(0)
            csp.assert_clean()
        finally:
            await browser.close()

    assert await open_letters(s, sre, key) == {service: [] for service in READERS}
    for service in READERS:
        resolved = await s.call(service, "GET", "/admin/dead-letters", sre, params={"status": "discarded"})
        mine = [d for d in resolved if d["key"] == key]
        assert [(d["status"], d["resolved_by"]) for d in mine] == [("discarded", "SRE01")], (service, mine)
        assert "undecodable bytes from a broken producer" in mine[0]["reason"]
