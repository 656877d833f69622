from datetime import timedelta
from types import ModuleType

import pytest
from o2c.ewaybill.domain.lifecycle import (
    ActionRefused,
    CancelReason,
    EwayBillStatus,
    ExtensionReason,
    VehicleChangeReason,
    cancel,
    expiring_soon,
    extend,
    update_vehicle,
)


def test_cancel_at_23_hours_is_accepted(given: ModuleType) -> None:
    bill = given.bill()
    cancelled = cancel(bill, CancelReason.ORDER_CANCELLED, "", bill.generated_at + timedelta(hours=23))
    assert cancelled.status is EwayBillStatus.CANCELLED
    assert cancelled.cancel_reason is CancelReason.ORDER_CANCELLED


def test_cancel_at_25_hours_is_refused_with_the_deadline(given: ModuleType) -> None:
    bill = given.bill()
    with pytest.raises(ActionRefused) as refused:
        cancel(bill, CancelReason.ORDER_CANCELLED, "", bill.generated_at + timedelta(hours=25))
    assert refused.value.reason == (
        "e-way bill 321001234567 was generated on 16/09/2022 19:29: it could be cancelled only within 24 hours, "
        "until 17/09/2022 19:29 IST"
    )


def test_a_cancelled_bill_cannot_be_cancelled_extended_or_changed(given: ModuleType) -> None:
    bill = given.bill()
    cancelled = cancel(bill, CancelReason.DUPLICATE, "", bill.generated_at + timedelta(hours=1))
    at = bill.generated_at + timedelta(hours=2)
    with pytest.raises(ActionRefused, match="is cancelled"):
        cancel(cancelled, CancelReason.DUPLICATE, "", at)
    with pytest.raises(ActionRefused, match="is cancelled"):
        update_vehicle(cancelled, "MH12AB9999", VehicleChangeReason.BREAKDOWN, "", "Nashik", "27", at)
    with pytest.raises(ActionRefused, match="is cancelled"):
        extend(cancelled, 10, "Hubballi", "580020", ExtensionReason.ACCIDENT, "", cancelled.valid_until)


def test_extension_is_allowed_from_8_hours_before_to_8_hours_after_expiry(given: ModuleType) -> None:
    bill = given.bill()  # valid until 29/09/2022 23:59 IST
    for offset in (timedelta(hours=-8), timedelta(hours=8)):
        extended = extend(bill, 150, "Hubballi", "580020", ExtensionReason.ACCIDENT, "", bill.valid_until + offset)
        assert extended.extensions == 1
    on_time = extend(bill, 150, "Hubballi", "580020", ExtensionReason.ACCIDENT, "", bill.valid_until)
    assert on_time.valid_until.isoformat() == "2022-09-30T23:59:00+05:30"


@pytest.mark.parametrize("offset_hours", [-9, 9])
def test_extension_outside_the_window_is_refused_with_the_window(given: ModuleType, offset_hours: int) -> None:
    bill = given.bill()
    with pytest.raises(ActionRefused) as refused:
        extend(
            bill,
            150,
            "Hubballi",
            "580020",
            ExtensionReason.ACCIDENT,
            "",
            bill.valid_until + timedelta(hours=offset_hours),
        )
    assert refused.value.code == "382"
    assert "between 29/09/2022 15:59 and 30/09/2022 07:59 IST" in refused.value.reason


def test_extension_needs_a_remaining_distance_within_the_original_and_the_current_place(given: ModuleType) -> None:
    bill = given.bill()
    at = bill.valid_until
    with pytest.raises(ActionRefused) as missing:
        extend(bill, 0, "Hubballi", "580020", ExtensionReason.ACCIDENT, "", at)
    assert missing.value.code == "389"
    with pytest.raises(ActionRefused) as too_long:
        extend(bill, 2500, "Hubballi", "580020", ExtensionReason.ACCIDENT, "", at)
    assert too_long.value.code == "390"
    with pytest.raises(ActionRefused, match="current place"):
        extend(bill, 100, "", "580020", ExtensionReason.ACCIDENT, "", at)
    with pytest.raises(ActionRefused, match="remarks"):
        extend(bill, 100, "Hubballi", "580020", ExtensionReason.OTHERS, "", at)


def test_an_extension_counts_like_a_new_generation_from_the_moment_of_extension(given: ModuleType) -> None:
    bill = given.bill()
    at = bill.valid_until - timedelta(hours=7)  # 29/09 16:59 IST
    extended = extend(bill, 10, "Hubballi", "580020", ExtensionReason.ACCIDENT, "", at)
    assert extended.valid_until.isoformat() == "2022-09-30T23:59:00+05:30"
    longer = extend(bill, 450, "Hubballi", "580020", ExtensionReason.ACCIDENT, "", at)
    assert longer.valid_until.isoformat() == "2022-10-02T23:59:00+05:30"


def test_the_vehicle_changes_during_validity_with_a_reason(given: ModuleType) -> None:
    bill = given.bill()
    changed = update_vehicle(bill, "ka-01-ab-9999", VehicleChangeReason.BREAKDOWN, "", "Kolhapur", "27",
                             bill.generated_at + timedelta(days=1))  # fmt: skip
    assert changed.vehicle_no == "KA01AB9999"
    assert [m.reason for m in changed.movements] == [VehicleChangeReason.FIRST_TIME, VehicleChangeReason.BREAKDOWN]


def test_the_vehicle_cannot_change_after_expiry(given: ModuleType) -> None:
    bill = given.bill()
    with pytest.raises(ActionRefused) as refused:
        update_vehicle(bill, "KA01AB9999", VehicleChangeReason.BREAKDOWN, "", "Kolhapur", "27",
                       bill.valid_until + timedelta(minutes=1))  # fmt: skip
    assert refused.value.code == "311"
    assert "extend it before changing the vehicle" in refused.value.reason


def test_a_vehicle_change_checks_the_new_number_place_and_remarks(given: ModuleType) -> None:
    bill = given.bill()
    at = bill.generated_at + timedelta(hours=5)
    with pytest.raises(ActionRefused) as bad_number:
        update_vehicle(bill, "KA01", VehicleChangeReason.BREAKDOWN, "", "Kolhapur", "27", at)
    assert bad_number.value.code == "304"
    with pytest.raises(ActionRefused) as no_place:
        update_vehicle(bill, "KA01AB9999", VehicleChangeReason.BREAKDOWN, "", " ", "27", at)
    assert no_place.value.code == "305"
    with pytest.raises(ActionRefused, match="remarks"):
        update_vehicle(bill, "KA01AB9999", VehicleChangeReason.OTHERS, "", "Kolhapur", "27", at)


def test_expiring_soon_lists_active_bills_ending_within_8_hours_soonest_first(given: ModuleType) -> None:
    now = given.ist(2022, 9, 29, 18, 0)
    ends_tonight = given.bill()  # 29/09 23:59
    ended_an_hour_ago = given.bill(given.ist(2022, 9, 28, 9, 0), distance_km=10)  # 29/09 23:59 too
    later = given.bill(given.ist(2022, 9, 29, 9, 0), distance_km=10)  # 30/09 23:59
    cancelled = given.same(ends_tonight, status=EwayBillStatus.CANCELLED)
    assert ended_an_hour_ago.valid_until == ends_tonight.valid_until
    assert expiring_soon([later, cancelled, ends_tonight], now) == [ends_tonight]
    assert expiring_soon([later], now, within=timedelta(hours=30)) == [later]
