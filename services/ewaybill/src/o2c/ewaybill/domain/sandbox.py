"""The rules of the local e-way bill sandbox: it checks a generation request as the NIC portal does
(GSTINs with their check character, vehicle 303/304, declared distance against the pincode distance,
one e-way bill per document) and answers with a 12-digit EBN and the validity by the same rule as
production. The sandbox server (an adapter) owns the HTTP and the pincode directory; this module
only decides. State lives in the object; a server that restarts can hand back what it stored."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from o2c.ewaybill.domain.distance import distance_error
from o2c.ewaybill.domain.errors import (
    DUPLICATE_DOCUMENT,
    INVALID_CONSIGNEE_GSTIN,
    INVALID_SUPPLIER_GSTIN,
    INVALID_TRANSPORTER_ID,
    NO_ITEMS,
    TRANS_DOC_REQUIRED,
    PortalError,
    portal_error,
)
from o2c.ewaybill.domain.gstin import UNREGISTERED_PERSON, is_valid_gstin, is_valid_transporter_id
from o2c.ewaybill.domain.vehicle import TransportMode, vehicle_number_error
from o2c.india.calendar import require_aware
from o2c.india.ewaybill import VehicleType, valid_until
from o2c.india.portal import portal_datetime

PincodeDistance = Callable[[str, str], int | None]
"""Road distance in km between two pincodes, or None when unknown."""

_EBN_SPACE = 9 * 10**11  # 12-digit numbers not starting with 0
_EBN_STRIDE = 982_451_653  # prime, coprime with the space: n → n × stride is a permutation


def ebn_for_serial(serial: int) -> str:
    """The EBN of the n-th e-way bill: 12 digits, the same for the same serial, different for every
    serial below 9 × 10^11, and not visibly sequential."""
    if not 0 <= serial < _EBN_SPACE:
        raise ValueError("serial out of range")
    return str(10**11 + (serial * _EBN_STRIDE) % _EBN_SPACE)


@dataclass(frozen=True, slots=True)
class SandboxOutcome:
    errors: tuple[PortalError, ...] = ()
    response: Mapping[str, Any] | None = None
    """On success: `ewayBillNo`, `ewayBillDate`, `validUpto`, `alert`, as the portal answers."""

    @property
    def accepted(self) -> bool:
        return not self.errors


def _document_key(request: Mapping[str, Any]) -> tuple[str, str, str]:
    return (str(request.get("fromGstin", "")), str(request.get("docType", "")), str(request.get("docNo", "")).upper())


def request_errors(
    request: Mapping[str, Any], pincode_distance: PincodeDistance, issued_documents: Mapping[tuple[str, str, str], str]
) -> list[PortalError]:
    """Every objection the portal would raise, in its order of checking."""
    errors: list[PortalError] = []
    from_gstin = str(request.get("fromGstin", ""))
    if not is_valid_gstin(from_gstin):
        errors.append(portal_error(INVALID_SUPPLIER_GSTIN, from_gstin))
    to_gstin = str(request.get("toGstin", ""))
    if to_gstin != UNREGISTERED_PERSON and not is_valid_gstin(to_gstin):
        errors.append(portal_error(INVALID_CONSIGNEE_GSTIN, to_gstin))
    transporter = str(request.get("transporterId") or "")
    if transporter and not is_valid_transporter_id(transporter):
        errors.append(portal_error(INVALID_TRANSPORTER_ID, transporter))
    if not request.get("itemList"):
        errors.append(portal_error(NO_ITEMS))
    mode = TransportMode(str(request.get("transMode") or TransportMode.ROAD.value))
    vehicle = vehicle_number_error(str(request.get("vehicleNo") or "") or None, mode)
    if vehicle:
        errors.append(vehicle)
    if mode is not TransportMode.ROAD and not request.get("transDocNo"):
        errors.append(portal_error(TRANS_DOC_REQUIRED))
    from_pin, to_pin = str(request.get("fromPincode", "")), str(request.get("toPincode", ""))
    declared = int(str(request.get("transDistance") or "0"))
    distance = distance_error(declared, from_pin, to_pin, pincode_distance(from_pin, to_pin))
    if distance:
        errors.append(distance)
    if _document_key(request) in issued_documents:
        errors.append(portal_error(DUPLICATE_DOCUMENT, str(request.get("docNo"))))
    return errors


@dataclass
class EwayBillSandbox:
    """A portal in memory. `next_serial` and `issued_documents` are its whole state."""

    pincode_distance: PincodeDistance
    next_serial: int = 1
    issued_documents: dict[tuple[str, str, str], str] = field(default_factory=dict)

    def generate(self, request: Mapping[str, Any], at: datetime) -> SandboxOutcome:
        require_aware(at)
        errors = request_errors(request, self.pincode_distance, self.issued_documents)
        if errors:
            return SandboxOutcome(errors=tuple(errors))
        declared = int(str(request.get("transDistance") or "0"))
        from_pin, to_pin = str(request["fromPincode"]), str(request["toPincode"])
        alert = ""
        if declared == 0:
            # The portal fills in its own distance when none is declared.
            declared = pincode_distance if (pincode_distance := self.pincode_distance(from_pin, to_pin)) else 0
            alert = f", Distance between these two pincodes is {declared}, "
        ebn = ebn_for_serial(self.next_serial)
        self.next_serial += 1
        self.issued_documents[_document_key(request)] = ebn
        vehicle_type = VehicleType(str(request.get("vehicleType") or VehicleType.REGULAR.value))
        return SandboxOutcome(
            response={
                "ewayBillNo": int(ebn),
                "ewayBillDate": portal_datetime(at),
                "validUpto": portal_datetime(valid_until(at, declared, vehicle_type)),
                "alert": alert,
            }
        )

    def cancel(self, ebn: str) -> bool:
        """Free the document of a cancelled e-way bill, so a corrected one can be generated for it."""
        for key, issued in list(self.issued_documents.items()):
            if issued == ebn:
                del self.issued_documents[key]
                return True
        return False
