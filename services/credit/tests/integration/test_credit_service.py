"""The credit service on the real stack: input events published with a raw producer on the harness's topics,
credit's outputs read back with a raw consumer, finance acting over HTTP, the clock injected."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
import sqlalchemy as sa
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from o2c.contracts.catalog import decode
from o2c.contracts.envelope import Envelope, Message
from o2c.contracts.topics import events_topic, topic_for
from o2c.credit.app import DEFINITION
from o2c.credit.bootstrap import bootstrap
from o2c.credit.domain import business_date
from o2c.credit.entrypoints.timers import sweep_once
from o2c.credit.service_layer import use_cases
from o2c.kit.local_issuer import LocalIssuer
from o2c.kit.messaging.kafka_security import kafka_client_options
from o2c.kit.testing import RunningService, ServiceHarness, bearer, wait_for
from o2c.testsupport.credit.credit_builders import T0, customer, invoice, order, release
from o2c.testsupport.credit.fakes import ManualClock
from o2c.testsupport.waits import records_on, settled, until

pytestmark = pytest.mark.integration
D = Decimal


@dataclass
class Credit:
    harness: ServiceHarness
    svc: RunningService
    clock: ManualClock
    issuer: LocalIssuer
    producer: AIOKafkaProducer
    seen: list[tuple[Envelope, Message]] = field(default_factory=list)

    async def send(self, message: Message, producer: str = "sales", *, envelope: Envelope | None = None,
                   partition: int | None = None) -> Envelope:
        env = envelope or Envelope.wrap(message, producer=producer)
        await self.producer.send_and_wait(
            self.harness.prefix + topic_for(type(message)).name, env.to_bytes(), key=env.key.encode(),
            headers=env.headers(), partition=partition,
        )
        return env

    def outputs(self, type_: str, **match: Any) -> list[Message]:
        return [m for env, m in self.seen
                if env.type == type_ and all(getattr(m, k) == v for k, v in match.items())]

    async def expect(self, type_: str, n: int = 1, **match: Any) -> list[Message]:
        async def probe() -> list[Message]:
            found = self.outputs(type_, **match)
            return found if len(found) >= n else []

        return await wait_for(probe, timeout=30, what=f"{n} × {type_} {match}")

    def token(self, role: str, **claims: Any) -> dict[str, str]:
        return bearer(self.issuer, role, **claims)

    async def settled(self) -> None:
        """Credit handled everything sent so far, published all it caused, and the reader has read it all:
        `outputs` is now everything credit will ever answer to what it was given."""
        await settled(self.svc)
        total = await records_on(self.harness.bootstrap, [self.harness.prefix + events_topic("credit")])

        async def read_all() -> bool:
            return len(self.seen) >= total

        await until(read_all, what=f"the reader to see all {total} credit events")

    async def profile_ready(self, customer_id: str) -> None:
        async def probe() -> bool:
            async with self.svc.client() as http:
                r = await http.get(f"/credit-profiles/{customer_id}", headers=self.token("finance_head"))
            return r.status_code == 200 and r.json()["credit_profile"] is not None

        await wait_for(probe, what=f"credit profile of {customer_id}")


async def lock_waiters(rt: Any) -> bool:
    """Some transaction in credit's database waits for a row lock."""
    async with rt.sessions() as session:
        return bool(await session.scalar(sa.text(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'")))


async def _read(harness: ServiceHarness, seen: list[tuple[Envelope, Message]]) -> None:
    consumer = AIOKafkaConsumer(harness.prefix + events_topic("credit"), bootstrap_servers=harness.bootstrap,
                                auto_offset_reset="earliest", enable_auto_commit=False, group_id=None,
                                **kafka_client_options())
    await consumer.start()
    try:
        while True:
            for records in (await consumer.getmany(timeout_ms=200)).values():
                for record in records:
                    env = Envelope.from_bytes(record.value or b"")
                    seen.append((env, decode(env)))
    finally:
        await consumer.stop()


@pytest.fixture
async def credit(harness: ServiceHarness, issuer: LocalIssuer) -> AsyncIterator[Credit]:
    svc = await harness.start(DEFINITION, sanction_sweep_seconds=0.2, cheque_bounce_charge=D("590.00"))
    clock = ManualClock(T0)
    svc.runtime.extras["clock"] = clock
    producer = AIOKafkaProducer(bootstrap_servers=harness.bootstrap, **kafka_client_options())
    await producer.start()
    ctx = Credit(harness, svc, clock, issuer, producer)
    reader = asyncio.create_task(_read(harness, ctx.seen))
    try:
        yield ctx
    finally:
        reader.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await reader
        await producer.stop()


async def test_within_limit_approved_over_limit_held_with_facts_executive_403_head_sanctions(credit: Credit) -> None:
    await credit.send(customer("C1", "1000000.00"))
    await credit.profile_ready("C1")
    await credit.send(order("O-A", "C1", "600000.00"))
    await credit.expect("CreditApproved", order_id="O-A")
    await credit.send(invoice("inv-000001", "O-A", "C1", "600000.00", invoice_date=date(2026, 6, 20)), "invoicing")
    (posted,) = await credit.expect("ReceivablePosted", order_id="O-A")
    assert posted.open_order_released == D("600000.00")  # type: ignore[attr-defined]
    await credit.send(order("O-B", "C1", "300000.00"))
    await credit.expect("CreditApproved", order_id="O-B")

    await credit.send(order("O-C", "C1", "150000.00"))
    (held,) = await credit.expect("CreditHeld", order_id="O-C")
    assert held.exposure.total == D("1050000.00")  # type: ignore[attr-defined]
    assert held.hold_expires_at == T0 + timedelta(hours=48)  # type: ignore[attr-defined]
    await credit.send(order("O-D", "C1", "50000.00"))
    (approved,) = await credit.expect("CreditApproved", order_id="O-D")
    assert approved.exposure.total == D("950000.00")  # type: ignore[attr-defined]

    async with credit.svc.client() as http:
        r = await http.get("/sanctions", params={"status": "pending"}, headers=credit.token("finance_head"))
        assert r.status_code == 200
        (view,) = r.json()
        assert view["order"] == {"order_id": "O-C", "order_revision": 1, "amount": "150000.00", "request_id": None}
        assert view["exposure"]["with_order"] == "1050000.00" and view["credit_limit"] == "1000000.00"
        assert view["headroom"] == "100000.00" and view["reasons"][0]["reason"] == "over_limit"
        assert view["ageing"]["days_0_30"] == "600000.00" and view["oldest_overdue_invoice"] is None
        assert view["payment_history"]["invoices_settled"] == 0
        sid = view["sanction_id"]
        r = await http.get(f"/sanctions/{sid}", headers=credit.token("finance_executive", approval_limit="1"))
        assert r.status_code == 200 and r.json()["customer"]["name"] == "Arun Retail LLP"
        # O-D was approved after the hold: the current facts show it, the request's facts do not
        assert r.json()["current"]["exposure"]["open_orders"] == "350000.00"
        assert r.json()["exposure"]["open_orders"] == "300000.00"

        r = await http.post(f"/sanctions/{sid}/approve", json={"note": "ok"},
                            headers=credit.token("finance_executive", approval_limit="100000"))
        assert r.status_code == 403 and r.headers["content-type"].startswith("application/problem+json")
        r = await http.post(f"/sanctions/{sid}/approve", json={"note": "ok"}, headers=credit.token("sales_head"))
        assert r.status_code == 403
        r = await http.post(f"/sanctions/{sid}/approve", json={"note": "known customer"},
                            headers=credit.token("finance_head", approval_limit="500000"))
        assert r.status_code == 200 and r.json()["status"] == "approved"
        r = await http.post(f"/sanctions/{sid}/reject", json={"note": "changed my mind"},
                            headers=credit.token("finance_head"))
        assert r.status_code == 409
    (sanctioned,) = await credit.expect("CreditSanctioned", order_id="O-C")
    assert sanctioned.sanctioned_by == "test-finance_head"  # type: ignore[attr-defined]


async def test_overdue_beyond_grace_is_held_within_limit_and_ageing_shows_61_90(credit: Credit) -> None:
    today = business_date(T0)
    await credit.send(customer("C2", "1000000.00", terms=30, grace=15))
    await credit.profile_ready("C2")
    await credit.send(invoice("inv-000075", "O-OLD", "C2", "100000.00", invoice_date=today - timedelta(days=75)),
                      "invoicing")
    await credit.expect("ReceivablePosted", order_id="O-OLD")
    await credit.send(order("O-NEW", "C2", "10000.00"))
    (held,) = await credit.expect("CreditHeld", order_id="O-NEW")
    assert held.reasons == ["overdue"]  # type: ignore[attr-defined]
    assert held.exposure.ageing.days_61_90 == D("100000.00")  # type: ignore[attr-defined]
    async with credit.svc.client() as http:
        r = await http.get("/receivables/C2", headers=credit.token("accountant"))
        body = r.json()
        assert body["ageing"]["days_61_90"] == "100000.00" and body["ageing"]["days_0_30"] == "0.00"
        assert body["oldest_overdue_invoice"]["invoice_id"] == "inv-000075"
        assert body["oldest_overdue_invoice"]["days_overdue"] == 45


async def test_two_orders_of_one_customer_on_two_consumers_cannot_share_headroom(
    credit: Credit, harness: ServiceHarness,
) -> None:
    """Two service instances in one group split the partitions; the orders go to partitions owned by each."""
    await credit.send(customer("C3", "400000.00"))
    await credit.profile_ready("C3")
    second = await harness.start(DEFINITION, sanction_sweep_seconds=0.2)
    second.runtime.extras["clock"] = credit.clock
    try:
        first_consumer, second_consumer = credit.svc.runtime.consumer, second.runtime.consumer
        assert first_consumer is not None and second_consumer is not None
        topic = harness.prefix + events_topic("sales")

        async def split() -> tuple[int, int] | None:
            def owned(consumer: Any) -> set[int]:
                kafka = consumer._consumer
                return {tp.partition for tp in kafka.assignment() if tp.topic == topic} if kafka else set()

            a, b = owned(first_consumer), owned(second_consumer)
            return (min(a), min(b)) if a and b and not a & b else None

        p1, p2 = await wait_for(split, timeout=60, what="both instances own partitions of the sales topic")
        await asyncio.gather(credit.send(order("O-X", "C3", "300000.00"), partition=p1),
                             credit.send(order("O-Y", "C3", "300000.00"), partition=p2))

        async def both() -> bool:
            return len(credit.outputs("CreditApproved", customer_id="C3")
                       + credit.outputs("CreditHeld", customer_id="C3")) >= 2

        await wait_for(both, timeout=60, what="two decisions")
        await credit.settled()
        assert len(credit.outputs("CreditApproved", customer_id="C3")) == 1
        assert len(credit.outputs("CreditHeld", customer_id="C3")) == 1
    finally:
        await second.stop()
        harness.running["credit"] = credit.svc


async def test_concurrent_decisions_in_two_transactions_serialise_on_the_account_row(credit: Credit) -> None:
    """The lock itself: two transactions decide at once for one customer; exactly one passes."""
    await credit.send(customer("C4", "400000.00"))
    await credit.profile_ready("C4")
    rt = credit.svc.runtime
    app = bootstrap(rt)
    published: list[Message] = []
    decided: list[str] = []

    async def decide(order_id: str) -> None:
        async with app.transaction() as uow:
            await use_cases.decide_order(uow, use_cases.OrderToDecide(order_id, "C4", 1, D("300000.00")), T0,
                                         app.policy)
            published.extend(uow.messages)
            decided.append(order_id)
            if len(decided) == 1:  # the first holds the account's lock until the other is seen waiting for it
                await wait_for(lambda: lock_waiters(rt), what="the other decision waiting on the account's lock")

    await asyncio.gather(decide("O-P"), decide("O-Q"))
    assert sorted(type(m).__name__ for m in published) == ["CreditApproved", "CreditHeld"]


async def test_invoice_then_tds_payment_settles_both_invoices_and_the_order(credit: Credit) -> None:
    await credit.send(customer("C5", "1000000.00"))
    await credit.profile_ready("C5")
    await credit.send(order("O-T", "C5", "118000.00"))
    await credit.expect("CreditApproved", order_id="O-T")
    first = invoice("inv-000101", "O-T", "C5", "59000.00", "50000.00", invoice_date=date(2026, 6, 1))
    env = await credit.send(first, "invoicing")
    await credit.send(first, "invoicing", envelope=env)  # the same message twice
    await credit.send(first, "invoicing")  # the same invoice under a new message id
    await credit.send(invoice("inv-000102", "O-T", "C5", "59000.00", "50000.00", invoice_date=date(2026, 6, 2)),
                      "invoicing")
    await credit.expect("ReceivablePosted", order_id="O-T", n=2)
    await credit.settled()
    assert len(credit.outputs("ReceivablePosted", invoice_id="inv-000101")) == 1

    async with credit.svc.client() as http:
        body = {"customer_id": "C5", "amount": "117900.00", "tds_deducted": "100.00", "received_on": "2026-06-30",
                "mode": "neft", "bank_reference": "UTR123"}
        headers = credit.token("finance_executive") | {"Idempotency-Key": "pay-C5-1"}
        r = await http.post("/payments", json=body, headers=headers)
        assert r.status_code == 201, r.text
        paid = r.json()
        assert paid["tds_receivable"] == "100.00" and paid["unapplied_amount"] == "0.00"
        assert sorted(paid["settled_invoices"]) == ["inv-000101", "inv-000102"]
        again = await http.post("/payments", json=body, headers=headers)
        assert again.status_code == 201 and again.json()["receipt_no"] == paid["receipt_no"]
        r = await http.get("/receivables/C5", headers=credit.token("customer", customer_id="C5"))
        assert r.status_code == 200 and r.json()["receivables"] == [] and r.json()["tds_receivable"] == "100.00"
        r = await http.get("/statements/C5", params={"from": "2026-06-01", "to": "2026-06-30"},
                           headers=credit.token("customer", customer_id="C5"))
        assert r.status_code == 200
        statement = r.json()
        assert [line["kind"] for line in statement["lines"]] == ["invoice", "invoice", "payment", "tds"]
        assert statement["closing_balance"] == "0.00"
        r = await http.get("/statements/C1", params={"from": "2026-06-01", "to": "2026-06-30"},
                           headers=credit.token("customer", customer_id="C5"))
        assert r.status_code == 403
        r = await http.post("/receivables/C5/inv-000101/write-off", json={"amount": "500.00", "reason": "residue"},
                            headers=credit.token("finance_head"))
        assert r.status_code == 422 and r.json()["errors"][0]["field"] == "amount"
        r = await http.post("/receivables/C5/inv-nope/write-off", json={"amount": "5.00", "reason": "residue"},
                            headers=credit.token("finance_head"))
        assert r.status_code == 404
    settled = await credit.expect("InvoiceSettled", customer_id="C5", n=2)
    assert {s.tds_amount for s in settled} == {D("50.00")}  # type: ignore[attr-defined]
    (order_settled,) = await credit.expect("OrderSettled", order_id="O-T")
    assert order_settled.invoiced_amount == D("118000.00")  # type: ignore[attr-defined]
    await credit.settled()
    assert len(credit.outputs("PaymentReceived", customer_id="C5")) == 1


async def test_bad_payment_is_a_422_problem_naming_the_field(credit: Credit) -> None:
    await credit.send(customer("C6", "1000000.00"))
    await credit.profile_ready("C6")
    async with credit.svc.client() as http:
        headers = credit.token("finance_head")
        base = {"customer_id": "C6", "amount": "100.00", "received_on": "2026-06-30", "mode": "neft"}
        for bad, name in (({"amount": "12.345"}, "amount"), ({"amount": 100.5}, "amount"),
                          ({"tds_deducted": "-1.00"}, "tds_deducted"), ({"mode": "barter"}, "mode"),
                          ({"write_off_limit": "5000.00"}, "write_off_limit"),
                          ({"amount": "0.00"}, "amount"), ({"invoice_ids": ["inv-none"]}, "invoice_ids"),
                          ({"customer_id": "C-UNKNOWN"}, "customer_id"),
                          ({"received_on": "30/06/2026"}, "received_on")):
            r = await http.post("/payments", json=base | bad, headers=headers)
            assert r.status_code == 422, (bad, r.text)
            assert r.headers["content-type"].startswith("application/problem+json")
            assert name in [e["field"] for e in r.json()["errors"]], (bad, r.json())
        r = await http.post("/payments", json=base, headers=credit.token("sales_coordinator"))
        assert r.status_code == 403


async def test_escalation_at_four_hours_and_expiry_emit_sanction_expired(credit: Credit) -> None:
    await credit.send(customer("C7", "100000.00"))
    await credit.profile_ready("C7")
    await credit.send(order("O-E", "C7", "150000.00"))
    await credit.expect("CreditHeld", order_id="O-E")

    async def pending() -> list[dict[str, Any]]:
        async with credit.svc.client() as http:
            r = await http.get("/sanctions", headers=credit.token("finance_head"))
            return list(r.json())

    credit.clock.advance(timedelta(hours=3, minutes=59))
    # A sweep at 3 h 59 min (the sweeper's own step, run here so the test knows it ran) escalates nothing.
    assert await sweep_once(bootstrap(credit.svc.runtime)) == {"expired": 0, "escalated": 0}
    assert not (await pending())[0]["escalated"]
    credit.clock.advance(timedelta(minutes=1))

    async def escalated() -> bool:
        return bool((await pending())[0]["escalated"])

    await wait_for(escalated, what="escalation at 4 hours")
    credit.clock.advance(timedelta(hours=44))
    (rejected,) = await credit.expect("CreditRejected", order_id="O-E")
    assert rejected.reason == "sanction_expired" and rejected.rejected_by is None  # type: ignore[attr-defined]
    assert await pending() == []


async def test_release_command_replies_with_the_request_id_once_per_effect(credit: Credit) -> None:
    await credit.send(customer("C8", "1000000.00"))
    await credit.profile_ready("C8")
    await credit.send(order("O-R", "C8", "100000.00"))
    await credit.expect("CreditApproved", order_id="O-R")
    command = release("O-R", "C8", "40000.00", "rq-77")
    await credit.send(command)
    await credit.send(command)  # the coordinator re-sent it
    replies = await credit.expect("CreditExposureReleased", n=2, request_id="rq-77")
    assert {(r.released_amount, r.open_order_exposure_after) for r in replies} == {  # type: ignore[attr-defined]
        (D("40000.00"), D("60000.00"))}
    async with credit.svc.client() as http:
        r = await http.get("/credit-profiles/C8", headers=credit.token("sales_coordinator"))
        assert r.json()["exposure"]["open_orders"] == "60000.00"
        r = await http.put("/credit-profiles/C8", json={"credit_limit": "2000000.00", "reason": "review"},
                           headers=credit.token("finance_executive", approval_limit="100000"))
        assert r.status_code == 403
        r = await http.put("/credit-profiles/C8", json={"credit_limit": "2000000.00", "reason": "review"},
                           headers=credit.token("finance_head"))
        assert r.status_code == 200 and r.json()["credit_profile"]["credit_limit"] == "2000000.00"
        assert r.json()["limit_set_by_finance"] is True


async def test_opening_balances_dry_run_names_refused_rows_import_counts_in_exposure_and_ageing_once(
    credit: Credit,
) -> None:
    today = business_date(T0)
    await credit.send(customer("C20", "200000.00", terms=30, grace=15))
    await credit.profile_ready("C20")
    old, recent = (today - timedelta(days=100)).isoformat(), (today - timedelta(days=10)).isoformat()
    good = (f"customer_id,legacy_invoice_no,invoice_date,due_date,amount\n"
            f"C20,TAL/24-25/0981,{old},,150000.00\nC20,TAL/25-26/0012,{recent},,40000.00\n")
    bad = good + f"C99,TAL/25-26/0013,{recent},,1000\nC20,TAL/25-26/0014,{recent},,12,5\n" \
                 f"C20,tal/24-25/0981,{old},,5\nC20,TAL/25-26/0015,2026-13-01,,5\n"
    finance, csv_type = credit.token("finance_executive"), {"content-type": "text/csv"}
    async with credit.svc.client() as http:
        r = await http.post("/opening-balances", params={"dry_run": "true"}, content=bad,
                            headers=finance | csv_type)
        assert r.status_code == 200, r.text
        assert [(x["row"], x["column"]) for x in r.json()["refused"]] == [
            (4, "customer_id"), (5, "(row)"), (6, "legacy_invoice_no"), (7, "invoice_date")]
        assert r.json()["rows_accepted"] == 2 and r.json()["refused"][0]["reason"] == "unknown customer C99"
        r = await http.post("/opening-balances", params={"dry_run": "false"}, content=bad,
                            headers=finance | csv_type)
        assert r.status_code == 422 and r.headers["content-type"].startswith("application/problem+json")
        assert [e["field"] for e in r.json()["errors"]] == [
            "row 4.customer_id", "row 5.(row)", "row 6.legacy_invoice_no", "row 7.invoice_date"]
        r = await http.get("/receivables/C20", headers=finance)
        assert r.json()["receivables"] == []  # all or nothing: nothing
        r = await http.post("/opening-balances", params={"dry_run": "false"}, content=good,
                            headers=credit.token("accountant") | csv_type)
        assert r.status_code == 403  # a finance role's action only
        r = await http.post("/opening-balances", params={"dry_run": "false"}, content=good,
                            headers=finance | csv_type | {"Idempotency-Key": "ob-1"})
        assert r.status_code == 200 and r.json()["imported"] and r.json()["total_amount"] == "190000.00"
        r = await http.get("/receivables/C20", headers=finance)
        body = r.json()
        assert body["ageing"]["days_over_90"] == "150000.00" and body["ageing"]["days_0_30"] == "40000.00"
        assert body["exposure"]["total"] == "190000.00"
        assert body["oldest_overdue_invoice"]["invoice_no"] == "TAL/24-25/0981"
        assert all(row["opening_balance"] and row["order_id"] == "" for row in body["receivables"])
        r = await http.post("/opening-balances", params={"dry_run": "false"}, content=good,
                            headers=finance | csv_type | {"Idempotency-Key": "ob-2"})
        assert r.status_code == 422
        assert [e["field"] for e in r.json()["errors"]] == ["row 2.legacy_invoice_no", "row 3.legacy_invoice_no"]
        assert "already imported" in r.json()["errors"][0]["detail"]
    # Counted in the credit check: over the limit and overdue beyond grace because of the legacy invoices.
    await credit.send(order("O-OB", "C20", "20000.00"))
    (held,) = await credit.expect("CreditHeld", order_id="O-OB")
    assert held.exposure.total == D("210000.00") and sorted(held.reasons) == ["over_limit", "overdue"]  # type: ignore[attr-defined]
    async with credit.svc.client() as http:
        r = await http.post("/payments", json={"customer_id": "C20", "amount": "150000.00",
                                               "received_on": today.isoformat(), "mode": "neft"},
                            headers=finance | {"Idempotency-Key": "ob-pay"})
        assert r.status_code == 201, r.text
        assert r.json()["allocations"] == [] and r.json()["settled_invoices"] == ["OB-TAL/24-25/0981"]
        assert [a["invoice_no"] for a in r.json()["opening_balance_allocations"]] == ["TAL/24-25/0981"]


async def test_a_bounced_cheque_is_reversed_once_with_exposure_restored_and_unapplied_credit_is_refunded(
    credit: Credit,
) -> None:
    today = business_date(T0).isoformat()
    await credit.send(customer("C21", "1000000.00"))
    await credit.profile_ready("C21")
    await credit.send(invoice("inv-000210", "O-R", "C21", "100000.00"), "invoicing")
    await credit.expect("ReceivablePosted", order_id="O-R")
    finance = credit.token("finance_executive")
    async with credit.svc.client() as http:
        r = await http.post("/payments", json={"customer_id": "C21", "amount": "105000.00", "received_on": today,
                                               "mode": "cheque", "bank_reference": "CHQ 004711"},
                            headers=finance | {"Idempotency-Key": "pay-1"})
        assert r.status_code == 201 and r.json()["settled_invoices"] == ["inv-000210"]
        payment_id = r.json()["payment_id"]
        r = await http.get("/receivables/C21", headers=finance)
        assert r.json()["exposure"]["total"] == "-5000.00"
        body = {"customer_id": "C21", "payment_id": payment_id, "reason": "cheque_bounced",
                "note": "returned unpaid: funds insufficient"}
        r = await http.post("/payment-reversals", json=body | {"reason": "lost"}, headers=finance)
        assert r.status_code == 422 and r.json()["errors"][0]["field"] == "reason"
        r = await http.post("/payment-reversals", json=body, headers=credit.token("accountant"))
        assert r.status_code == 403
        r = await http.post("/payment-reversals", json=body, headers=finance | {"Idempotency-Key": "rev-1"})
        assert r.status_code == 201, r.text
        first = r.json()
        assert first["exposure"] == "100000.00" and first["bounce_charge"] == "590.00"
        assert first["reopened_invoice_ids"] == ["inv-000210"] and first["unapplied_reversed"] == "5000.00"
        r = await http.post("/payment-reversals", json=body, headers=finance | {"Idempotency-Key": "rev-1"})
        assert r.status_code == 201 and r.json() == first
        r = await http.post("/payment-reversals", json=body, headers=finance | {"Idempotency-Key": "rev-2"})
        assert r.status_code == 201 and r.json()["reversal_id"] == first["reversal_id"]
        r = await http.get("/receivables/C21", headers=finance)
        receivables = r.json()
        assert receivables["exposure"]["total"] == "100000.00" and receivables["unapplied_credit"] == "0.00"
        assert receivables["receivables"][0]["outstanding"] == "100000.00"
        # An advance, then its refund: never more than is unapplied.
        r = await http.post("/payments", json={"customer_id": "C21", "amount": "3000.00", "received_on": today,
                                               "mode": "neft", "invoice_ids": []},
                            headers=finance | {"Idempotency-Key": "pay-2"})
        assert r.status_code == 201
        r = await http.get("/receivables/C21", headers=finance)
        assert r.json()["unapplied_credit"] == "0.00"  # applied to the reopened invoice, oldest first
        r = await http.post("/payments", json={"customer_id": "C21", "amount": "100000.00", "received_on": today,
                                               "mode": "neft"}, headers=finance | {"Idempotency-Key": "pay-3"})
        assert r.status_code == 201 and r.json()["unapplied_amount"] == "3000.00"
        refund = {"customer_id": "C21", "amount": "3000.01", "refunded_on": today, "mode": "neft",
                  "reference": "UTR000000017"}
        r = await http.post("/refunds", json=refund, headers=finance)
        assert r.status_code == 422 and r.json()["errors"][0]["field"] == "amount"
        r = await http.post("/refunds", json=refund | {"amount": "3000.00"},
                            headers=finance | {"Idempotency-Key": "rfd-1"})
        assert r.status_code == 201, r.text
        assert r.json()["unapplied_after"] == "0.00" and r.json()["refund_id"].startswith("RFD/")
        r = await http.get("/receivables/C21", headers=finance)
        assert r.json()["unapplied_credit"] == "0.00" and r.json()["exposure"]["total"] == "0.00"
    await credit.settled()
    (reversed_,) = credit.outputs("PaymentReversed", customer_id="C21")
    assert reversed_.bounce_charge == D("590.00") and reversed_.amount == D("105000.00")  # type: ignore[attr-defined]
    (refunded,) = credit.outputs("UnappliedCreditRefunded", customer_id="C21")
    assert refunded.amount == D("3000.00") and refunded.reference == "UTR000000017"  # type: ignore[attr-defined]
