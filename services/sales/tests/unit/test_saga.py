"""The order saga's decisions, one docs/flow.md compensation row (and gap) at a time, replies stubbed as values."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import TypeVar

import pytest
from o2c.sales.domain.customer import ShipPolicy, ShortagePolicy
from o2c.sales.domain.errors import RuleViolation
from o2c.sales.domain.saga import (
    CancellationReason,
    CloseOrder,
    CreditOutcome,
    Decision,
    LineQuantity,
    MarkBackordered,
    MarkCancelled,
    OrderSaga,
    RaiseException,
    ReleaseShipments,
    Reservation,
    ReservedShipment,
    SagaLine,
    SagaStatus,
    SendCancelPickList,
    SendRecheckCredit,
    SendReleaseCreditExposure,
    SendReleaseReservation,
    SendReserveStock,
    ShipmentState,
    Shortfall,
    Wait,
    advance,
    backorder_filled,
    cancellation_requested,
    compensation_failed,
    credit_decided,
    customer_notified,
    decide,
    is_command,
    order_amended,
    park,
    pick_list_cancellation_refused,
    pick_list_cancelled,
    pick_short,
    record,
    reply_received,
    shipment_dispatched,
    start,
    stock_reserved,
    unpark,
)

T = TypeVar("T")
NOW = datetime(2026, 5, 4, 6, 30, tzinfo=UTC)
EXPECTED = date(2026, 5, 20)
LINES = (
    SagaLine(1, "PUMP-1", Decimal(10), Decimal("11800.00")),
    SagaLine(2, "VALVE-1", Decimal(5), Decimal("1180.00")),
)
GROSS = Decimal("12980.00")
ALL = (LineQuantity(1, Decimal(10)), LineQuantity(2, Decimal(5)))


def new_saga(
    ship_policy: ShipPolicy = ShipPolicy.SHIP_PARTIAL, shortage_policy: ShortagePolicy = ShortagePolicy.BACKORDER
) -> OrderSaga:
    return start(
        order_id="O1",
        customer_id="C1",
        revision=1,
        lines=LINES,
        ship_policy=ship_policy,
        shortage_policy=shortage_policy,
        hold_period=timedelta(hours=24),
    )


def full(warehouse: str = "BHIWANDI", lines: tuple[LineQuantity, ...] = ALL) -> Reservation:
    return Reservation.full([ReservedShipment(warehouse, lines)], NOW)


def partial() -> Reservation:
    """Pumps reserved 6 of 10 at Bhiwandi, valves all at Pune; 4 pumps short, expected on 20 May."""
    return Reservation.partial(
        [
            ReservedShipment("BHIWANDI", (LineQuantity(1, Decimal(6)),)),
            ReservedShipment("PUNE", (LineQuantity(2, Decimal(5)),)),
        ],
        [Shortfall(1, Decimal(4), EXPECTED)],
        NOW,
    )


def failed() -> Reservation:
    return Reservation.failed([Shortfall(1, Decimal(10), EXPECTED), Shortfall(2, Decimal(5), None)], NOW)


def of_type(decisions: list[Decision], kind: type[T]) -> list[T]:
    return [d for d in decisions if isinstance(d, kind)]


def acted(saga: OrderSaga, now: datetime = NOW) -> tuple[OrderSaga, list[Decision]]:
    return advance(saga, now)


def released(saga: OrderSaga | None = None) -> OrderSaga:
    saga = saga or new_saga()
    saga = credit_decided(stock_reserved(saga, full(), revision=1), CreditOutcome.APPROVED, revision=1)
    return acted(saga)[0]


def commands(decisions: list[Decision]) -> list[Decision]:
    return [d for d in decisions if is_command(d)]


# --- the gate ------------------------------------------------------------------------------------------


def test_approved_and_reserved_order_is_released() -> None:
    saga = credit_decided(stock_reserved(new_saga(), full(), revision=1), CreditOutcome.APPROVED, revision=1)
    saga, decisions = acted(saga)
    [release] = of_type(decisions, ReleaseShipments)
    assert [(s.warehouse_id, s.lines) for s in release.shipments] == [("BHIWANDI", ALL)]
    assert release.backordered == ()
    assert commands(decisions) == []
    assert saga.status is SagaStatus.RELEASED


def test_reply_order_does_not_matter_for_the_gate() -> None:
    saga = stock_reserved(credit_decided(new_saga(), CreditOutcome.APPROVED, revision=1), full(), revision=1)
    assert of_type(decide(saga, NOW), ReleaseShipments)


def test_nothing_is_released_until_both_credit_and_stock_are_clear() -> None:
    credit_only = credit_decided(new_saga(), CreditOutcome.APPROVED, revision=1)
    assert decide(credit_only, NOW) == [Wait("stock reservation")]
    stock_only = stock_reserved(new_saga(), full(), revision=1)
    assert decide(stock_only, NOW) == [Wait("credit decision")]


def test_held_order_waits_for_the_sanction_then_is_released() -> None:
    saga = stock_reserved(credit_decided(new_saga(), CreditOutcome.HELD, revision=1), full(), revision=1)
    assert decide(saga, NOW) == [Wait("a finance head's sanction")]
    assert saga.status is SagaStatus.WAITING
    saga = credit_decided(saga, CreditOutcome.SANCTIONED, revision=1)
    assert of_type(decide(saga, NOW), ReleaseShipments)


def test_duplicate_credit_approved_releases_nothing_more() -> None:
    saga = released()
    again = credit_decided(saga, CreditOutcome.APPROVED, revision=1)
    assert again == saga
    assert decide(again, NOW) == []


def test_credit_outcome_never_goes_backwards() -> None:
    saga = credit_decided(new_saga(), CreditOutcome.APPROVED, revision=1)
    assert credit_decided(saga, CreditOutcome.HELD, revision=1) == saga
    assert credit_decided(saga, CreditOutcome.REJECTED, revision=1) == saga


def test_reply_for_an_unknown_revision_or_request_is_ignored() -> None:
    saga = new_saga()
    assert credit_decided(saga, CreditOutcome.APPROVED, revision=7) == saga
    assert credit_decided(saga, CreditOutcome.APPROVED, revision=1, request_id="O1:nothing") == saga
    assert stock_reserved(saga, full(), revision=2) == saga


def test_crash_between_reservation_and_release_releases_once_after_restart() -> None:
    ready = credit_decided(stock_reserved(new_saga(), full(), revision=1), CreditOutcome.APPROVED, revision=1)
    before_crash = decide(ready, NOW)  # written to the outbox, then the process dies before saving the saga
    after_restart = decide(ready, NOW)  # the reservation is redelivered; the saga state is unchanged
    assert before_crash == after_restart  # same keys: the outbox keeps one
    saga = record(ready, after_restart)
    assert decide(saga, NOW) == []
    assert record(saga, before_crash) == saga  # recording the repeat changes nothing


def test_decision_keys_are_unique_and_name_the_order() -> None:
    saga = credit_decided(stock_reserved(new_saga(), partial(), revision=1), CreditOutcome.APPROVED, revision=1)
    keyed = [d.key for d in decide(saga, NOW) if not isinstance(d, Wait)]
    assert len(keyed) == len(set(keyed)) and all(k.startswith("O1:") for k in keyed)


# --- row 1: credit rejected, or sanction not decided within the hold period -------------------------------


def test_rejected_credit_releases_the_reservation_and_cancels_the_order() -> None:
    saga = stock_reserved(credit_decided(new_saga(), CreditOutcome.HELD, revision=1), full(), revision=1)
    saga = credit_decided(saga, CreditOutcome.REJECTED, revision=1)
    saga, decisions = acted(saga)
    [cancel] = of_type(decisions, MarkCancelled)
    assert cancel.reason is CancellationReason.CREDIT_REJECTED and cancel.whole_order
    [release] = of_type(decisions, SendReleaseReservation)
    assert release.lines == ALL
    assert of_type(decisions, SendReleaseCreditExposure) == []  # credit released it when rejecting
    assert saga.status is SagaStatus.CANCELLED


def test_sanction_that_expired_cancels_with_the_timeout_reason() -> None:
    saga = stock_reserved(credit_decided(new_saga(), CreditOutcome.HELD, revision=1), full(), revision=1)
    saga, decisions = acted(credit_decided(saga, CreditOutcome.EXPIRED, revision=1))
    assert of_type(decisions, MarkCancelled)[0].reason is CancellationReason.SANCTION_TIMEOUT
    assert of_type(decisions, SendReleaseReservation)


def test_rejection_before_the_reservation_answers_releases_now_and_again_when_it_arrives() -> None:
    saga, decisions = acted(credit_decided(new_saga(), CreditOutcome.REJECTED, revision=1))
    [early] = of_type(decisions, SendReleaseReservation)
    assert early.lines == ()  # everything the order may hold
    saga, late = acted(stock_reserved(saga, full(), revision=1))
    [again] = of_type(late, SendReleaseReservation)
    assert again.lines == ALL and again.key != early.key
    assert of_type(late, MarkCancelled) == []


# --- row 2: reservation failed (nothing anywhere) -----------------------------------------------------------


def test_failed_reservation_releases_exposure_and_backorders_with_expected_dates() -> None:
    saga = credit_decided(stock_reserved(new_saga(), failed(), revision=1), CreditOutcome.APPROVED, revision=1)
    saga, decisions = acted(saga)
    [backorder] = of_type(decisions, MarkBackordered)
    assert backorder.lines == (Shortfall(1, Decimal(10), EXPECTED), Shortfall(2, Decimal(5), None))
    [exposure] = of_type(decisions, SendReleaseCreditExposure)
    assert (exposure.amount, exposure.lines) == (GROSS, ALL)
    assert of_type(decisions, SendReleaseReservation) == []
    assert saga.status is SagaStatus.BACKORDERED


def test_failed_reservation_cancels_when_the_customer_does_not_wait_for_stock() -> None:
    saga = new_saga(shortage_policy=ShortagePolicy.CANCEL)
    saga = credit_decided(stock_reserved(saga, failed(), revision=1), CreditOutcome.APPROVED, revision=1)
    saga, decisions = acted(saga)
    [cancel] = of_type(decisions, MarkCancelled)
    assert cancel.reason is CancellationReason.OUT_OF_STOCK
    assert of_type(decisions, SendReleaseCreditExposure)[0].amount == GROSS
    assert saga.status is SagaStatus.CANCELLED


def test_failed_reservation_before_credit_answers_releases_exposure_only_once_credit_counted_it() -> None:
    saga, decisions = acted(stock_reserved(new_saga(), failed(), revision=1))
    assert of_type(decisions, MarkBackordered) and of_type(decisions, SendReleaseCreditExposure) == []
    later = decide(credit_decided(saga, CreditOutcome.APPROVED, revision=1), NOW)
    assert of_type(later, SendReleaseCreditExposure)[0].amount == GROSS
    rejected, none = acted(credit_decided(saga, CreditOutcome.REJECTED, revision=1))
    assert commands(none) == [] and rejected.status is SagaStatus.BACKORDERED


def test_held_order_whose_reservation_fails_is_backordered_and_its_exposure_released() -> None:
    saga = stock_reserved(credit_decided(new_saga(), CreditOutcome.HELD, revision=1), failed(), revision=1)
    saga, decisions = acted(saga)
    assert of_type(decisions, MarkBackordered)
    assert of_type(decisions, SendReleaseCreditExposure)[0].amount == GROSS
    saga, later = acted(credit_decided(saga, CreditOutcome.SANCTIONED, revision=1))
    assert later == [] and saga.status is SagaStatus.BACKORDERED


# --- row 3: partial reservation, ship-complete ----------------------------------------------------------------


def test_ship_complete_partial_reservation_is_held_for_the_hold_period() -> None:
    saga = new_saga(ShipPolicy.SHIP_COMPLETE)
    saga = credit_decided(stock_reserved(saga, partial(), revision=1), CreditOutcome.APPROVED, revision=1)
    assert decide(saga, NOW + timedelta(hours=23)) == [
        Wait("ship-complete: holding the partial reservation for the rest", NOW + timedelta(hours=24))
    ]
    assert saga.status is SagaStatus.HOLDING


def test_ship_complete_hold_over_releases_reservation_and_exposure_and_backorders_everything() -> None:
    saga = new_saga(ShipPolicy.SHIP_COMPLETE)
    saga = credit_decided(stock_reserved(saga, partial(), revision=1), CreditOutcome.APPROVED, revision=1)
    saga, decisions = acted(saga, NOW + timedelta(hours=24))
    [backorder] = of_type(decisions, MarkBackordered)
    assert backorder.lines == (Shortfall(1, Decimal(10), EXPECTED), Shortfall(2, Decimal(5), EXPECTED))
    [release] = of_type(decisions, SendReleaseReservation)
    assert release.lines == (LineQuantity(1, Decimal(6)), LineQuantity(2, Decimal(5)))  # what was reserved
    assert of_type(decisions, SendReleaseCreditExposure)[0].amount == GROSS
    assert of_type(decisions, ReleaseShipments) == []
    assert saga.status is SagaStatus.BACKORDERED


def test_ship_complete_order_topped_up_during_the_hold_is_released() -> None:
    saga = new_saga(ShipPolicy.SHIP_COMPLETE)
    saga = credit_decided(stock_reserved(saga, partial(), revision=1), CreditOutcome.APPROVED, revision=1)
    saga = stock_reserved(saga, full(), revision=1)
    assert of_type(decide(saga, NOW + timedelta(hours=1)), ReleaseShipments)


# --- row 4: partial reservation, ship-partial ----------------------------------------------------------------


def test_ship_partial_releases_what_is_reserved_and_releases_exposure_of_the_rest() -> None:
    saga = credit_decided(stock_reserved(new_saga(), partial(), revision=1), CreditOutcome.APPROVED, revision=1)
    saga, decisions = acted(saga)
    [release] = of_type(decisions, ReleaseShipments)
    assert [s.warehouse_id for s in release.shipments] == ["BHIWANDI", "PUNE"]
    assert release.backordered == (Shortfall(1, Decimal(4), EXPECTED),)
    [exposure] = of_type(decisions, SendReleaseCreditExposure)
    assert exposure.lines == (LineQuantity(1, Decimal(4)),)
    assert exposure.amount == Decimal("4720.00")  # 4/10 of 11 800
    assert saga.status is SagaStatus.PARTIALLY_RELEASED


def test_ship_partial_with_credit_held_releases_nothing_until_sanctioned() -> None:
    saga = stock_reserved(credit_decided(new_saga(), CreditOutcome.HELD, revision=1), partial(), revision=1)
    assert commands(decide(saga, NOW)) == []
    assert of_type(decide(saga, NOW), Wait) == [Wait("a finance head's sanction")]


# --- row 5: customer cancels before gate-out -----------------------------------------------------------------


def test_customer_cancellation_after_release_cancels_pick_lists_then_releases_stock_and_exposure() -> None:
    saga = cancellation_requested(released(), note="buyer's project postponed")
    saga, decisions = acted(saga)
    [cancel] = of_type(decisions, MarkCancelled)
    assert cancel.reason is CancellationReason.CUSTOMER_REQUEST and cancel.note == "buyer's project postponed"
    [pick] = of_type(decisions, SendCancelPickList)
    assert pick.shipment_id == "O1-1-1"
    assert of_type(decisions, SendReleaseReservation) == of_type(decisions, SendReleaseCreditExposure) == []
    assert saga.status is SagaStatus.CANCELLED and saga.is_compensating
    saga, after = acted(pick_list_cancelled(saga, "O1-1-1"))
    assert of_type(after, SendReleaseReservation)[0].lines == ALL
    assert of_type(after, SendReleaseCreditExposure)[0].amount == GROSS


def test_customer_cancellation_before_release_compensates_at_once() -> None:
    saga = stock_reserved(credit_decided(new_saga(), CreditOutcome.HELD, revision=1), full(), revision=1)
    saga, decisions = acted(cancellation_requested(saga))
    assert of_type(decisions, MarkCancelled)
    assert of_type(decisions, SendReleaseReservation)[0].lines == ALL
    assert of_type(decisions, SendReleaseCreditExposure)[0].amount == GROSS
    assert of_type(decisions, SendCancelPickList) == []


def test_cancellation_that_lost_the_race_with_the_gate_is_raised_for_a_person() -> None:
    saga, _ = acted(cancellation_requested(released()))
    saga, decisions = acted(pick_list_cancellation_refused(saga, "O1-1-1"))
    [problem] = of_type(decisions, RaiseException)
    assert "left the gate" in problem.reason
    assert of_type(decisions, SendReleaseReservation) == []


def test_cancelling_twice_is_one_cancellation() -> None:
    saga = cancellation_requested(released())
    assert cancellation_requested(saga) == saga
    saga, _ = acted(saga)
    with pytest.raises(RuleViolation, match="already cancelled"):
        cancellation_requested(saga)


def test_fully_dispatched_order_cannot_be_cancelled() -> None:
    saga = shipment_dispatched(released(), "O1-1-1")
    with pytest.raises(RuleViolation, match="raise a return"):
        cancellation_requested(saga)


# --- row 6: short pick -----------------------------------------------------------------------------------


def test_short_pick_is_first_re_reserved_from_elsewhere() -> None:
    saga = pick_short(released(), shipment_id="O1-1-1", line_no=1, quantity=Decimal(3))
    saga, decisions = acted(saga)
    [reserve] = of_type(decisions, SendReserveStock)
    assert reserve.lines == (LineQuantity(1, Decimal(3)),)
    assert of_type(decisions, SendReleaseCreditExposure) == []
    covered = Reservation.full([ReservedShipment("PUNE", (LineQuantity(1, Decimal(3)),))], NOW)
    saga, later = acted(stock_reserved(saga, covered, revision=1, request_id=reserve.key))
    [release] = of_type(later, ReleaseShipments)
    assert release.shipments[0].warehouse_id == "PUNE"
    assert of_type(later, SendReleaseCreditExposure) == []  # the exposure was never released
    assert reserve.key not in saga.awaiting


def test_short_pick_not_re_reservable_ships_short_releases_exposure_and_backorders_the_shortfall() -> None:
    saga = pick_short(released(), shipment_id="O1-1-1", line_no=1, quantity=Decimal(3))
    saga, decisions = acted(saga)
    [reserve] = of_type(decisions, SendReserveStock)
    nothing = Reservation.failed([Shortfall(1, Decimal(3), EXPECTED)], NOW)
    saga, later = acted(stock_reserved(saga, nothing, revision=1, request_id=reserve.key))
    [exposure] = of_type(later, SendReleaseCreditExposure)
    assert (exposure.lines, exposure.amount) == ((LineQuantity(1, Decimal(3)),), Decimal("3540.00"))
    assert of_type(later, MarkBackordered)[0].lines == (Shortfall(1, Decimal(3), EXPECTED),)
    shipment = saga.shipments[0]
    assert shipment.lines == (LineQuantity(1, Decimal(7)), LineQuantity(2, Decimal(5)))  # ships short
    assert saga.status is SagaStatus.PARTIALLY_RELEASED


def test_shipment_with_nothing_picked_is_closed_by_dispatch_and_no_longer_holds_the_order_open() -> None:
    saga = released()
    shipment = saga.shipments[0]
    for line in shipment.lines:
        saga = pick_short(saga, shipment_id=shipment.shipment_id, line_no=line.line_no, quantity=line.quantity)
    assert saga.shipments[0].lines == ()
    saga = pick_list_cancelled(saga, shipment.shipment_id)
    assert saga.shipments[0].state is ShipmentState.CANCELLED
    _, decisions = acted(saga)
    assert of_type(decisions, SendReleaseReservation) == []  # its shortfalls are released or re-reserved per round


def test_short_pick_under_ship_complete_still_ships_short() -> None:
    saga = pick_short(
        released(new_saga(ShipPolicy.SHIP_COMPLETE)), shipment_id="O1-1-1", line_no=2, quantity=Decimal(1)
    )
    saga, decisions = acted(saga)
    [reserve] = of_type(decisions, SendReserveStock)
    half = Reservation.partial([], [Shortfall(2, Decimal(1), None)], NOW)
    saga, later = acted(stock_reserved(saga, half, revision=1, request_id=reserve.key))
    assert of_type(later, MarkBackordered) and of_type(later, SendReleaseCreditExposure)


def test_repeated_short_pick_report_is_ignored() -> None:
    saga = pick_short(released(), shipment_id="O1-1-1", line_no=1, quantity=Decimal(3))
    assert pick_short(saga, shipment_id="O1-1-1", line_no=1, quantity=Decimal(3)) == saga


# --- closing, refills, re-opening ---------------------------------------------------------------------------


def dispatched_and_notified(saga: OrderSaga, *shipment_ids: str) -> OrderSaga:
    for shipment_id in shipment_ids:
        saga = customer_notified(shipment_dispatched(saga, shipment_id), shipment_id)
    return saga


def test_order_closes_when_every_shipment_is_dispatched_and_notified() -> None:
    saga = shipment_dispatched(released(), "O1-1-1")
    assert of_type(decide(saga, NOW), CloseOrder) == []  # not notified yet
    saga, decisions = acted(customer_notified(saga, "O1-1-1"))
    assert of_type(decisions, CloseOrder)
    assert saga.status is SagaStatus.CLOSED
    assert saga.exposure == ()  # it moved to receivables at gate-out


def test_order_with_a_backorder_does_not_close() -> None:
    saga = credit_decided(stock_reserved(new_saga(), partial(), revision=1), CreditOutcome.APPROVED, revision=1)
    saga, _ = acted(saga)
    saga = dispatched_and_notified(saga, "O1-1-1", "O1-1-2")
    saga = reply_received(saga, next(iter(saga.awaiting)))
    assert decide(saga, NOW) == []
    assert saga.status is SagaStatus.PARTIALLY_RELEASED


def test_order_does_not_close_while_a_compensation_awaits_its_reply() -> None:
    saga = pick_short(released(), shipment_id="O1-1-1", line_no=1, quantity=Decimal(3))
    saga, decisions = acted(saga)
    reserve = of_type(decisions, SendReserveStock)[0]
    saga, later = acted(stock_reserved(saga, Reservation.failed([], NOW), revision=1, request_id=reserve.key))
    exposure = of_type(later, SendReleaseCreditExposure)[0]
    saga = dispatched_and_notified(saga, "O1-1-1")
    assert of_type(decide(saga, NOW), CloseOrder) == []  # backordered shortfall, and the release unanswered
    assert exposure.key in saga.awaiting


def test_backorder_refill_rechecks_credit_before_the_new_release() -> None:
    saga = credit_decided(stock_reserved(new_saga(), partial(), revision=1), CreditOutcome.APPROVED, revision=1)
    saga, _ = acted(saga)
    saga = dispatched_and_notified(saga, "O1-1-1", "O1-1-2")
    fill = [ReservedShipment("BHIWANDI", (LineQuantity(1, Decimal(4)),))]
    saga, decisions = acted(backorder_filled(saga, fill_id="F1", shipments=fill, remaining=[], at=NOW))
    [recheck] = of_type(decisions, SendRecheckCredit)
    assert recheck.amount == Decimal("4720.00") and recheck.lines == (LineQuantity(1, Decimal(4)),)
    assert of_type(decisions, ReleaseShipments) == []
    saga = credit_decided(saga, CreditOutcome.APPROVED, revision=1, request_id=recheck.key)
    saga, decisions = acted(saga)
    [release] = of_type(decisions, ReleaseShipments)
    assert release.round_no == 2 and release.shipments[0].shipment_id == "O1-2-1"
    saga = dispatched_and_notified(saga, "O1-2-1")
    for key in sorted(saga.awaiting):
        saga = reply_received(saga, key)
    saga, decisions = acted(saga)
    assert of_type(decisions, CloseOrder) and saga.status is SagaStatus.CLOSED


def test_duplicate_backorder_fill_is_ignored() -> None:
    saga = credit_decided(stock_reserved(new_saga(), failed(), revision=1), CreditOutcome.APPROVED, revision=1)
    saga, _ = acted(saga)
    fill = [ReservedShipment("BHIWANDI", ALL)]
    once = backorder_filled(saga, fill_id="F1", shipments=fill, remaining=[], at=NOW)
    assert backorder_filled(once, fill_id="F1", shipments=fill, remaining=[], at=NOW) == once


def test_refill_refused_by_credit_releases_the_fill_and_cancels_the_rest_then_closes() -> None:
    saga = credit_decided(stock_reserved(new_saga(), partial(), revision=1), CreditOutcome.APPROVED, revision=1)
    saga, _ = acted(saga)
    saga = dispatched_and_notified(saga, "O1-1-1", "O1-1-2")
    fill = [ReservedShipment("BHIWANDI", (LineQuantity(1, Decimal(4)),))]
    saga, decisions = acted(backorder_filled(saga, fill_id="F1", shipments=fill, remaining=[], at=NOW))
    recheck = of_type(decisions, SendRecheckCredit)[0]
    saga, decisions = acted(credit_decided(saga, CreditOutcome.REJECTED, revision=1, request_id=recheck.key))
    [cancel] = of_type(decisions, MarkCancelled)
    assert not cancel.whole_order and cancel.lines == (LineQuantity(1, Decimal(4)),)
    assert of_type(decisions, SendReleaseReservation)[0].lines == (LineQuantity(1, Decimal(4)),)
    for key in sorted(saga.awaiting):
        saga = reply_received(saga, key)
    saga, decisions = acted(saga)
    assert of_type(decisions, CloseOrder)


def test_ship_complete_refill_must_cover_the_whole_backorder() -> None:
    saga = new_saga(ShipPolicy.SHIP_COMPLETE)
    saga = credit_decided(stock_reserved(saga, failed(), revision=1), CreditOutcome.APPROVED, revision=1)
    saga, _ = acted(saga)
    fill = [ReservedShipment("BHIWANDI", (LineQuantity(1, Decimal(10)),))]
    saga = backorder_filled(saga, fill_id="F1", shipments=fill, remaining=[Shortfall(2, Decimal(5), EXPECTED)], at=NOW)
    held = decide(saga, NOW)
    assert commands(held) == [] and of_type(held, Wait)[0].until == NOW + timedelta(hours=24)
    saga, decisions = acted(saga, NOW + timedelta(days=2))
    assert of_type(decisions, SendReleaseReservation)[0].lines == (LineQuantity(1, Decimal(10)),)
    assert of_type(decisions, SendRecheckCredit) == []
    assert saga.status is SagaStatus.BACKORDERED


# --- amendments ---------------------------------------------------------------------------------------------


def test_amendment_after_release_cancels_pick_lists_and_waits_for_credit_and_stock_of_the_new_revision() -> None:
    bigger = (SagaLine(1, "PUMP-1", Decimal(20), Decimal("23600.00")), LINES[1])
    saga, decisions = acted(order_amended(released(), revision=2, lines=bigger))
    [pick] = of_type(decisions, SendCancelPickList)
    assert pick.shipment_id == "O1-1-1" and pick.reason == "order amended"
    assert of_type(decisions, SendReleaseReservation) == []  # inventory re-reserves from OrderAmended
    assert of_type(decisions, SendReleaseCreditExposure) == []  # credit re-counts from OrderAmended
    new_lines = (LineQuantity(1, Decimal(20)), LineQuantity(2, Decimal(5)))
    saga = stock_reserved(saga, full(lines=new_lines), revision=2)
    saga = credit_decided(saga, CreditOutcome.APPROVED, revision=1)  # late answer for the old revision
    saga = credit_decided(saga, CreditOutcome.APPROVED, revision=2)
    assert decide(saga, NOW) == [Wait("pick lists of the previous revision to be cancelled")]
    saga, decisions = acted(pick_list_cancelled(saga, "O1-1-1"))
    [release] = of_type(decisions, ReleaseShipments)
    assert release.shipments[0].lines == new_lines
    assert of_type(decisions, SendReleaseReservation) == []


def test_amendment_after_gate_out_is_refused() -> None:
    with pytest.raises(RuleViolation, match="gate-out"):
        order_amended(shipment_dispatched(released(), "O1-1-1"), revision=2, lines=LINES)


def test_repeated_amendment_message_is_ignored() -> None:
    saga = order_amended(released(), revision=2, lines=LINES)
    assert order_amended(saga, revision=2, lines=LINES) == saga


def test_amendment_racing_the_gate_is_raised_for_a_person() -> None:
    saga, _ = acted(order_amended(released(), revision=2, lines=LINES))
    saga, decisions = acted(pick_list_cancellation_refused(saga, "O1-1-1"))
    assert "an amendment" in of_type(decisions, RaiseException)[0].reason


# --- failures and parking -------------------------------------------------------------------------------------


def test_compensation_that_keeps_failing_fails_the_saga_loudly() -> None:
    saga, decisions = acted(credit_decided(new_saga(), CreditOutcome.REJECTED, revision=1))
    key = of_type(decisions, SendReleaseReservation)[0].key
    saga, decisions = acted(compensation_failed(saga, key, "inventory refuses: unknown order"))
    [problem] = of_type(decisions, RaiseException)
    assert key in problem.reason and saga.status is SagaStatus.FAILED
    assert decide(saga, NOW) == []


def test_parked_order_decides_nothing_until_unparked() -> None:
    saga = credit_decided(stock_reserved(new_saga(), full(), revision=1), CreditOutcome.APPROVED, revision=1)
    parked = park(saga, "StockReserved v9 dead-lettered")
    assert decide(parked, NOW) == [Wait("parked: StockReserved v9 dead-lettered")]
    assert of_type(decide(unpark(parked), NOW), ReleaseShipments)


def test_recording_bumps_the_version_for_optimistic_locking() -> None:
    saga = credit_decided(stock_reserved(new_saga(), full(), revision=1), CreditOutcome.APPROVED, revision=1)
    after, decisions = acted(saga)
    assert after.version > saga.version
    assert record(after, decisions).version == after.version


def test_cancellation_before_any_reply_releases_exposure_only_after_credit_counted_it() -> None:
    saga, decisions = acted(cancellation_requested(new_saga()))
    assert of_type(decisions, SendReleaseReservation)[0].lines == ()
    assert of_type(decisions, SendReleaseCreditExposure) == []
    saga, later = acted(credit_decided(saga, CreditOutcome.APPROVED, revision=1))
    assert of_type(later, SendReleaseCreditExposure)[0].amount == GROSS
    saga, late = acted(stock_reserved(saga, full(), revision=1))
    assert of_type(late, SendReleaseReservation)[0].lines == ALL
