"""Why a dispatch rule refused something. Entry points map InvalidValue → 422 naming the field (with the
e-way bill portal's code, 303 or 304, for vehicle numbers), ConflictingState → 409 (GateClosed included)."""

from __future__ import annotations

VEHICLE_REQUIRED = "303"
INVALID_VEHICLE_FORMAT = "304"


class DispatchError(Exception):
    """Base of every refusal the dispatch domain raises."""


class InvalidValue(DispatchError, ValueError):
    def __init__(self, field: str, detail: str, code: str | None = None) -> None:
        super().__init__(f"{field}: {detail}" + (f" (portal error {code})" if code else ""))
        self.field = field
        self.detail = detail
        self.code = code


class ConflictingState(DispatchError):
    """The shipment or pick list is not in a state that allows this."""


class GateClosed(ConflictingState):
    """Goods may not leave: the law wants the invoice and the e-way bill (or its not-required verdict) first."""

    def __init__(self, shipment_id: str, missing: str) -> None:
        super().__init__(f"shipment {shipment_id} cannot leave the gate: {missing}")
        self.shipment_id = shipment_id
        self.missing = missing
