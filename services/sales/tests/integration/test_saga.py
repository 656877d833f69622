"""The order saga coordinator on the real broker and database: credit and inventory replies are produced
raw on their events topics (as those services would), the coordinator's messages read back from Kafka."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest
import sqlalchemy as sa
from o2c.contracts.topics import commands_topic, events_topic
from o2c.contracts.v1 import inventory, sales
from o2c.kit.local_issuer import LocalIssuer
from o2c.kit.messaging.faults import FaultPoints
from o2c.kit.testing import RunningService, ServiceHarness, wait_for
from o2c.sales.app import DEFINITION
from o2c.testsupport.sales.saga_service import of_type, start
from o2c.testsupport.sales.sales_support import (
    approved,
    failed,
    now,
    publish,
    rejected,
    reserved,
)

pytestmark = pytest.mark.integration

async def order_now(svc: RunningService, tok: dict[str, dict[str, str]], order_id: str) -> dict[str, Any]:
    async with svc.client() as c:
        r = await c.get(f"/orders/{order_id}", headers=tok["coord"])
        assert r.status_code == 200, r.text
        return dict(r.json())


async def outbox_count(svc: RunningService, type_: str) -> int:
    async with svc.runtime.sessions() as session:
        return int((await session.execute(sa.text("SELECT count(*) FROM outbox WHERE type = :t"),
                                          {"t": type_})).scalar_one())


async def handled(svc: RunningService, n: int) -> bool:
    async with svc.runtime.sessions() as session:
        return int((await session.execute(sa.text("SELECT count(*) FROM inbox"))).scalar_one()) >= n


async def test_approved_and_reserved_releases_once_even_with_a_duplicate_approval(
    harness: ServiceHarness, issuer: LocalIssuer,
) -> None:
    svc, order, tok = await start(harness, issuer)
    await publish(harness, approved(order), "credit")
    await publish(harness, reserved(order), "inventory")
    found = await wait_for(lambda: of_type(harness, events_topic("sales"), sales.OrderReleased),
                           what="OrderReleased")
    release = found[0]
    assert release.order_id == order["order_id"] and release.release_no == 1
    assert [s.warehouse_id for s in release.shipments] == ["WH-MUM-1"]
    assert [x.quantity.value for x in release.shipments[0].lines] == [Decimal(3), Decimal(10)]
    assert release.shipments[0].warehouse_gstin == "27AAACR5055K1Z7"
    view = await order_now(svc, tok, order["order_id"])
    assert view["status"] == "released" and view["saga"]["status"] == "released"
    # A duplicate CreditApproved (another message id) changes nothing: no second release.
    await publish(harness, approved(order), "credit")
    await wait_for(lambda: handled(svc, 3), what="the duplicate to be handled")
    assert await outbox_count(svc, "OrderReleased") == 1


async def test_credit_rejected_after_reservation_releases_stock_and_cancels(
    harness: ServiceHarness, issuer: LocalIssuer,
) -> None:
    svc, order, tok = await start(harness, issuer)
    await publish(harness, reserved(order), "inventory")
    await publish(harness, rejected(order), "credit")
    commands = await wait_for(lambda: of_type(harness, commands_topic("inventory"), sales.ReleaseReservation),
                              what="ReleaseReservation")
    assert commands[0].order_id == order["order_id"]
    assert commands[0].request_id == f"{order['order_id']}:round-1:release-reservation"
    assert {x.line_no for x in commands[0].lines} == {1, 2}
    cancelled = await wait_for(lambda: of_type(harness, events_topic("sales"), sales.OrderCancelled),
                               what="OrderCancelled")
    assert cancelled[0].reason is sales.CancellationReason.CREDIT_REJECTED
    assert await outbox_count(svc, "OrderReleased") == 0
    assert await outbox_count(svc, "ReleaseCreditExposure") == 0  # credit released the exposure itself
    view = await order_now(svc, tok, order["order_id"])
    assert view["status"] == "cancelled" and view["saga"]["awaiting_replies"]
    # Inventory's reply closes the command.
    await publish(harness, inventory.ReservationReleased(order_id=order["order_id"],
                                                         request_id=commands[0].request_id, released_at=now()),
                  "inventory")

    async def settled() -> bool:
        return not (await order_now(svc, tok, order["order_id"]))["saga"]["awaiting_replies"]

    await wait_for(settled, what="the reservation release acknowledged")


@pytest.mark.parametrize(("shortage", "outcome"), [("backorder", sales.OrderBackordered),
                                                    ("cancel", sales.OrderCancelled)])
async def test_reservation_failed_releases_exposure_and_backorders_or_cancels_per_policy(
    harness: ServiceHarness, issuer: LocalIssuer, shortage: str, outcome: type[Any],
) -> None:
    svc, order, tok = await start(harness, issuer, shortage=shortage)
    await publish(harness, failed(order), "inventory")
    await publish(harness, approved(order), "credit")
    released = await wait_for(lambda: of_type(harness, commands_topic("credit"), sales.ReleaseCreditExposure),
                              what="ReleaseCreditExposure")
    assert str(released[0].amount) == order["totals"]["gross_value"] and released[0].order_revision == 1
    found = await wait_for(lambda: of_type(harness, events_topic("sales"), outcome), what=outcome.__name__)
    if outcome is sales.OrderBackordered:
        assert found[0].lines[0].expected_date == date(2026, 12, 20)
        assert (await order_now(svc, tok, order["order_id"]))["status"] == "backordered"
    else:
        assert found[0].reason is sales.CancellationReason.OUT_OF_STOCK
        assert (await order_now(svc, tok, order["order_id"]))["status"] == "cancelled"
    assert await outbox_count(svc, "OrderReleased") == 0


class RecordingFaults(FaultPoints):
    def __init__(self) -> None:
        super().__init__()
        self.hits: list[str] = []

    def hit(self, name: str) -> None:
        self.hits.append(name)
        super().hit(name)


async def test_crash_between_reservation_and_release_releases_once(
    harness: ServiceHarness, issuer: LocalIssuer,
) -> None:
    svc, order, _ = await start(harness, issuer)
    faults = RecordingFaults()
    faults.arm("saga.before_release")
    svc.runtime.faults = faults  # the handler dies after applying the reservation, before the release
    await publish(harness, approved(order), "credit")
    await publish(harness, reserved(order), "inventory")
    await wait_for(lambda: of_type(harness, events_topic("sales"), sales.OrderReleased), what="OrderReleased")
    await wait_for(lambda: handled(svc, 2), what="both replies handled")
    # The crash rolled back the reservation with everything else; the redelivery released exactly once.
    assert faults.hits.count("saga.before_release") >= 2
    assert await outbox_count(svc, "OrderReleased") == 1
    assert len(await of_type(harness, events_topic("sales"), sales.OrderReleased)) == 1


async def test_sales_killed_between_reservation_and_release_releases_once_after_restart(
    harness: ServiceHarness, issuer: LocalIssuer,
) -> None:
    svc, order, _ = await start(harness, issuer)
    faults = RecordingFaults()
    faults.arm("saga.before_release", kill=True)
    svc.runtime.faults = faults  # the process "dies" after applying the reservation, before the release
    await publish(harness, approved(order), "credit")
    await publish(harness, reserved(order), "inventory")

    async def killed() -> bool:
        return "saga.before_release" in faults.hits

    await wait_for(killed, what="the kill point")
    await harness.running.pop(DEFINITION.name).stop()
    assert await outbox_count(svc, "OrderReleased") == 0, "the killed transaction committed nothing"

    restarted = await harness.start(DEFINITION, inventory_url="http://127.0.0.1:9", atp_timeout_seconds=0.2)
    await wait_for(lambda: of_type(harness, events_topic("sales"), sales.OrderReleased), what="OrderReleased")
    await wait_for(lambda: handled(restarted, 2), what="both replies handled after the restart")
    assert await outbox_count(restarted, "OrderReleased") == 1
    assert len(await of_type(harness, events_topic("sales"), sales.OrderReleased)) == 1


async def test_amending_upward_goes_back_through_credit(harness: ServiceHarness, issuer: LocalIssuer) -> None:
    svc, order, tok = await start(harness, issuer)
    await publish(harness, approved(order), "credit")
    async with svc.client() as c:
        r = await c.post(f"/orders/{order['order_id']}/amend", headers=tok["coord"],
                         json={"reason": "customer wants more", "quantities": [{"line_no": 1, "quantity": "6"}]})
        assert r.status_code == 200, r.text
    amended = await wait_for(lambda: of_type(harness, events_topic("sales"), sales.OrderAmended),
                             what="OrderAmended")
    assert amended[0].revision == 2 and amended[0].totals.gross_value > amended[0].previous_gross_value
    # Stock reserved for the new revision, but credit's approval of revision 1 does not count.
    await publish(harness, reserved(await order_now(svc, tok, order["order_id"])).model_copy(
        update={"order_revision": 2}), "inventory")
    # The inbox also holds sales' own events (the tracking projection reads them), so wait on the saga itself.
    async def waits_for_credit_only() -> dict[str, Any] | None:
        view = await order_now(svc, tok, order["order_id"])
        waiting = view["saga"]["waiting_for"]
        return view if "credit" in waiting and "stock" not in waiting else None

    view = await wait_for(waits_for_credit_only, what="the reservation handled, credit still awaited")
    assert view["status"] == "confirmed"
    assert await outbox_count(svc, "OrderReleased") == 0
    await publish(harness, approved(order, revision=2), "credit")
    await wait_for(lambda: of_type(harness, events_topic("sales"), sales.OrderReleased), what="release of rev 2")


async def test_unanswered_command_is_sent_again_with_the_same_request_id(
    harness: ServiceHarness, issuer: LocalIssuer,
) -> None:
    _, order, _ = await start(harness, issuer, saga_tick_seconds=0.2, command_retry_seconds=0.5)
    await publish(harness, reserved(order), "inventory")
    await publish(harness, rejected(order), "credit")

    # The two replies travel on different topics, so they may be handled in either order; either way some
    # ReleaseReservation goes unanswered and must be sent again under its own request id.
    async def twice() -> list[sales.ReleaseReservation]:
        found = await of_type(harness, commands_topic("inventory"), sales.ReleaseReservation)
        ids = [c.request_id for c in found]
        return [c for c in found if ids.count(c.request_id) >= 2]

    sent = await wait_for(twice, what="ReleaseReservation sent again")
    assert len(sent) >= 2 and len({c.request_id for c in sent}) == 1
