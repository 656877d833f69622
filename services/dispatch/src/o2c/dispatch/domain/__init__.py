"""Dispatch's pure domain: pick lists in walking order, pick confirmations with short picks, dispatch details
(vehicle, driver, transporter, lorry receipt, distance) and the shipment's way to the gate, which opens only
after the invoice and the e-way bill. No I/O and no framework."""

from o2c.dispatch.domain.bins import walking_key
from o2c.dispatch.domain.business_time import IST, business_date
from o2c.dispatch.domain.errors import (
    INVALID_VEHICLE_FORMAT,
    VEHICLE_REQUIRED,
    ConflictingState,
    DispatchError,
    GateClosed,
    InvalidValue,
)
from o2c.dispatch.domain.picking import (
    PickConfirmation,
    PickedBatch,
    PickedLine,
    PickLine,
    PickList,
    PickRequest,
    ShortReason,
)
from o2c.dispatch.domain.shipment import (
    Cancellation,
    EwayBillReference,
    InvoiceReference,
    PutBack,
    RestockLine,
    Shipment,
    ShipmentStatus,
    Trip,
    VehicleChange,
    VehicleChangeReason,
)
from o2c.dispatch.domain.transport import (
    DispatchDetails,
    TransportMode,
    VehicleType,
    check_declared_distance,
    is_valid_vehicle_number,
    normalise_driver_phone,
    normalise_transporter_id,
    normalise_vehicle_number,
    vehicle_number,
)

__all__ = [
    "INVALID_VEHICLE_FORMAT",
    "IST",
    "VEHICLE_REQUIRED",
    "Cancellation",
    "ConflictingState",
    "DispatchDetails",
    "DispatchError",
    "EwayBillReference",
    "GateClosed",
    "InvalidValue",
    "InvoiceReference",
    "PickConfirmation",
    "PickLine",
    "PickList",
    "PickRequest",
    "PickedBatch",
    "PickedLine",
    "PutBack",
    "RestockLine",
    "Shipment",
    "ShipmentStatus",
    "ShortReason",
    "TransportMode",
    "Trip",
    "VehicleChange",
    "VehicleChangeReason",
    "VehicleType",
    "business_date",
    "check_declared_distance",
    "is_valid_vehicle_number",
    "normalise_driver_phone",
    "normalise_transporter_id",
    "normalise_vehicle_number",
    "vehicle_number",
    "walking_key",
]
