"""Parts that several v1 messages share: addresses, order and shipment lines, batches, transport, enums.

These are not messages themselves. Every part is frozen and ignores unknown fields, like the messages,
so a field added here later reaches old readers harmlessly.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from enum import StrEnum

from o2c.contracts.types import DecimalStr, Gstin, HsnCode, Money, Pincode, Quantity, StateCode
from o2c.india.supply import TaxRegime as TaxRegime
from pydantic import BaseModel, ConfigDict, Field


class Part(BaseModel):
    """Base of every message part."""

    model_config = ConfigDict(extra="ignore", frozen=True)


# --- closed sets ---------------------------------------------------------------------------------


class SupplyType(StrEnum):
    """Kind of supply, as the e-invoice schema names it (B2C added for unregistered buyers)."""

    B2B = "B2B"
    B2C = "B2C"
    SEZ_WITH_PAYMENT = "SEZWP"
    SEZ_WITHOUT_PAYMENT = "SEZWOP"
    EXPORT_WITH_PAYMENT = "EXPWP"
    EXPORT_WITHOUT_PAYMENT = "EXPWOP"
    DEEMED_EXPORT = "DEXP"


class ShipPolicy(StrEnum):
    """Whether the customer accepts an order in several deliveries."""

    SHIP_COMPLETE = "ship_complete"
    SHIP_PARTIAL = "ship_partial"


class ShortagePolicy(StrEnum):
    """What the customer wants when nothing can be reserved: wait for stock, or cancel."""

    BACKORDER = "backorder"
    CANCEL = "cancel"


class TransportMode(StrEnum):
    """E-way bill transMode: 1 road, 2 rail, 3 air, 4 ship."""

    ROAD = "road"
    RAIL = "rail"
    AIR = "air"
    SHIP = "ship"


class VehicleType(StrEnum):
    """E-way bill vehicleType: R regular, O over-dimensional cargo (validity 1 day per 20 km)."""

    REGULAR = "R"
    OVER_DIMENSIONAL = "O"


class NotificationChannel(StrEnum):
    EMAIL = "email"
    SMS = "sms"
    WHATSAPP = "whatsapp"
    WEBHOOK = "webhook"


# --- parties and places --------------------------------------------------------------------------


class Address(Part):
    """A postal address with the GSTIN registered there (a GSTIN belongs to an address, not a customer)."""

    name: str = Field(description="Legal or trade name at this address")
    line1: str
    line2: str = ""
    place: str = Field(description="City, town or village")
    district: str = ""
    state_code: StateCode
    pincode: Pincode
    gstin: Gstin | None = Field(default=None, description="None for an unregistered party at this address")
    country: str = Field(default="IN", description="ISO 3166-1 alpha-2")
    third_party: bool = Field(
        default=False,
        description="A consignee who is not the buyer (bill-to/ship-to): the place of supply is then the buyer's "
        "billing state. Added within v1 (additive).",
    )


class Contact(Part):
    """Who to tell about the order. Only what notify needs; never logged."""

    name: str
    email: str | None = None
    phone: str | None = None
    channels: list[NotificationChannel] = Field(default_factory=list)


# --- lines ---------------------------------------------------------------------------------------


class BatchAllocation(Part):
    """A quantity from one batch (and bin), for batch-tracked items; batch None for untracked items."""

    quantity: Quantity
    batch_no: str | None = None
    expiry_date: date | None = None
    bin_code: str | None = None


class OrderLine(Part):
    """One order line with every commercial fact invoicing and credit need later."""

    line_no: int = Field(ge=1)
    item_code: str
    item_name: str
    hsn: HsnCode
    quantity: Quantity
    unit_price: Money = Field(description="Price per unit before discount, excluding GST")
    discount: Money = Field(default=Decimal("0"), description="Scheme/trade discount for the whole line")
    scheme_code: str | None = None
    taxable_value: Money = Field(description="quantity × unit_price − discount")
    gst_rate: DecimalStr = Field(description="GST rate in percent in force when the order was priced, e.g. 18")
    cess_rate: DecimalStr = Field(default=Decimal("0"), description="Compensation cess in percent")
    promised_date: date
    batch_tracked: bool = False


class ShipmentLine(Part):
    """An order line as it goes out from one warehouse: the released quantity and where it is reserved."""

    line_no: int = Field(ge=1)
    item_code: str
    item_name: str
    hsn: HsnCode
    quantity: Quantity
    unit_price: Money
    discount: Money = Field(default=Decimal("0"), description="Discount for this shipment's share of the line")
    scheme_code: str | None = None
    gst_rate: DecimalStr
    cess_rate: DecimalStr = Decimal("0")
    promised_date: date
    batch_tracked: bool = False
    allocations: list[BatchAllocation] = Field(default_factory=list, description="Reserved batches and bins")


class OrderTotals(Part):
    """Order value; credit counts exposure gross (with GST)."""

    taxable_value: Money
    tax_amount: Money = Field(description="Estimated GST + cess at the rates in force when priced")
    gross_value: Money


class ReservedLine(Part):
    line_no: int = Field(ge=1)
    item_code: str
    quantity: Quantity
    allocations: list[BatchAllocation] = Field(default_factory=list)


class WarehouseAllocation(Part):
    """What one warehouse reserved for the order: one future shipment."""

    warehouse_id: str
    warehouse_gstin: Gstin = Field(description="The company's GSTIN in the warehouse's state")
    dispatch_from: Address
    lines: list[ReservedLine]


class Shortfall(Part):
    """What could not be reserved for a line, and when it is expected."""

    line_no: int = Field(ge=1)
    item_code: str
    ordered: Quantity
    reserved: Quantity
    short: Quantity
    expected_date: date | None = Field(default=None, description="None when no receipt is planned")


class LineQuantity(Part):
    """A quantity of one order line (scopes of commands and their replies)."""

    line_no: int = Field(ge=1)
    item_code: str
    quantity: Quantity
    warehouse_id: str | None = None


class TransportDetails(Part):
    """Part B of the e-way bill and the transport facts the invoice and gate-out need."""

    mode: TransportMode = TransportMode.ROAD
    vehicle_no: str | None = Field(default=None, description="Required for road; 7–15 chars, e.g. KA01AB1234")
    vehicle_type: VehicleType = VehicleType.REGULAR
    driver_name: str | None = None
    driver_phone: str | None = None
    transporter_id: Gstin | None = Field(default=None, description="Transporter GSTIN or TRANSIN (state code 88)")
    transporter_name: str | None = None
    lr_no: str | None = Field(default=None, description="Transport document (lorry receipt) number")
    lr_date: date | None = None
    distance_km: int = Field(ge=0, description="Declared distance, dispatch-from pincode to ship-to pincode")
