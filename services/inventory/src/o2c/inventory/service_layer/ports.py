"""What inventory's use cases need from the outside: one unit of work holding the repositories of one
transaction, and the messages the work causes (written to the outbox with the transaction's changes).

The SQL implementation is `o2c.inventory.adapters.unit_of_work.SqlUnitOfWork` (wired in
`o2c.inventory.bootstrap`); the use cases' unit tests run on an in-memory one (tests/unit/use_cases).
Locking is part of the contract: every `lock_*` / `*_for_update` method holds what it read until the
transaction ends, and item-stock rows are always locked before backorder rows, in (warehouse, item) order.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Protocol

from o2c.contracts.envelope import Message
from o2c.contracts.v1.sales import ReturnAuthorised
from o2c.inventory.domain import Bin, Coordinates, ItemStock
from o2c.inventory.domain.transfers import TransferPrice

Slot = tuple[str, str]  # (warehouse_id, item_code): one ItemStock aggregate
Units = dict[str, tuple[str, bool]]  # item code → (unit, batch-tracked)


@dataclass(frozen=True)
class ItemInfo:
    """What inventory keeps of sales' item master for its rules."""

    item_code: str
    unit: str = "NOS"
    batch_tracked: bool = False
    stocked: bool = True
    lead_time_days: int = 0
    hsn: str = ""
    name: str = ""


@dataclass(frozen=True)
class ItemRecord:
    """One revision of an item as sales published it (ItemCreated / ItemUpdated)."""

    item_code: str
    name: str
    hsn: str
    unit: str
    product_line: str
    batch_tracked: bool
    shelf_life_days: int | None
    stocked: bool
    lead_time_days: int
    active: bool
    revision: int


@dataclass(frozen=True)
class WarehouseRecord:
    warehouse_id: str
    name: str
    state_code: str
    pincode: str
    gstin: str
    line1: str = ""
    place: str = ""
    district: str = ""
    latitude: Decimal | None = None
    longitude: Decimal | None = None
    coordinates_source: str = "none"
    active: bool = True


@dataclass(frozen=True)
class RoutingPolicyRecord:
    scope: str  # "company" or "customer:<id>"
    strategy: str
    km_per_day: Decimal
    handling_days: dict[str, Any]
    updated_by: str = ""


@dataclass(frozen=True)
class OrderAllocationRecord:
    """How an order revision was routed and what came of it (one per order, the latest revision)."""

    order_id: str
    revision: int
    customer_id: str
    ship_to_pincode: str
    ship_to_state: str
    strategy: str
    outcome: str
    lines: list[dict[str, Any]]
    confirmed_at: datetime
    decided_at: datetime


@dataclass
class BackorderRecord:
    """What an order line still waits for; `filled` names each arrival that filled part of it."""

    order_id: str
    line_no: int
    item_code: str
    quantity: Decimal
    remaining: Decimal
    status: str  # open, filled, cancelled
    confirmed_at: datetime
    expected_date: date | None = None
    filled: dict[str, Decimal] = field(default_factory=dict)


@dataclass(frozen=True)
class ReturnAuthorisationRecord:
    return_id: str
    order_id: str
    warehouse_id: str
    authorisation: ReturnAuthorised
    status: str  # authorised, received
    received_at: datetime | None = None


@dataclass
class TransferRecord:
    """A transfer document: its number, both warehouses, and per line what left (bins, batches, value) and,
    once received, what arrived, was damaged or is short. `facts` is the StockTransferDispatched it caused."""

    transfer_id: str
    transfer_no: str
    kind: str  # delivery_challan, branch_transfer
    from_warehouse_id: str
    to_warehouse_id: str
    status: str  # in_transit, received
    lines: list[dict[str, Any]]
    facts: dict[str, Any]
    dispatched_at: datetime
    dispatched_by: str
    expected_arrival: date
    received_at: datetime | None = None
    received_by: str = ""


@dataclass(frozen=True)
class PurchaseReceiptRecord:
    receipt_id: str
    receipt_no: str
    warehouse_id: str
    supplier_gstin: str | None
    supplier_name: str
    po_no: str
    po_date: date
    lines: list[dict[str, Any]]
    received_at: datetime
    received_by: str


class Items(Protocol):
    async def get(self, codes: Iterable[str]) -> dict[str, ItemInfo]: ...

    async def upsert(self, item: ItemRecord) -> bool:
        """Keep the highest revision: False when the stored one is as new or newer (nothing changed)."""
        ...


class Warehouses(Protocol):
    async def get(self, warehouse_id: str) -> WarehouseRecord | None: ...
    async def every(self, *, active_only: bool = True) -> list[WarehouseRecord]:
        """Ordered by warehouse code."""
        ...
    async def add(self, warehouse: WarehouseRecord) -> None: ...
    async def bin(self, warehouse_id: str, bin_code: str) -> Bin | None: ...
    async def bins(self, warehouse_id: str) -> list[Bin]:
        """In walking order."""
        ...
    async def add_bin(self, warehouse_id: str, bin_: Bin, walk_seq: int) -> bool:
        """False when the warehouse has that bin already."""
        ...


class RoutingPolicies(Protocol):
    async def of_scopes(self, scopes: Sequence[str]) -> dict[str, RoutingPolicyRecord]: ...
    async def set(self, record: RoutingPolicyRecord, at: datetime) -> None: ...
    async def every(self) -> list[RoutingPolicyRecord]:
        """Ordered by scope."""
        ...


class ItemStocks(Protocol):
    """ItemStock aggregates, one per warehouse and item, loaded locked and saved by difference."""

    async def ensure(self, slot: Slot) -> None:
        """The aggregate exists (empty) from now on."""
        ...

    async def lock_slots(self, slots: Iterable[Slot], *, order_ids: Sequence[str] = (), units: Units | None = None,
                         with_issues: bool = True) -> dict[Slot, ItemStock]:
        """The existing aggregates of these slots, locked. Reservations of `order_ids` and of open backorders'
        lines are loaded one by one; every other order's holdings may be summed into stand-ins (their keys belong
        to no real order and are never saved)."""
        ...

    async def lock_items(self, item_codes: Iterable[str], *, order_ids: Sequence[str] = (),
                         units: Units | None = None, with_issues: bool = True) -> dict[Slot, ItemStock]:
        """Every warehouse's aggregate of these items, locked (as `lock_slots`)."""
        ...

    def ledger_length(self, slot: Slot) -> int:
        """How many movements the ledger of a locked slot held when it was loaded (or last saved)."""
        ...

    async def save(self, stocks: Iterable[ItemStock], at: datetime, actor: str) -> None:
        """Write back what changed since loading; the aggregates' new ledger movements are appended (and cleared
        from the aggregates)."""
        ...

    async def slots_of_order(self, order_id: str) -> list[Slot]:
        """Where the order holds (or held) reservations."""
        ...


class OrderAllocations(Protocol):
    async def revision_for_update(self, order_id: str) -> int | None:
        """The revision last routed, the order's allocation locked (None when never routed)."""
        ...
    async def customer_of(self, order_id: str) -> str | None: ...
    async def customers_of(self, order_ids: Iterable[str]) -> dict[str, str]: ...
    async def record(self, allocation: OrderAllocationRecord) -> None:
        """Insert, or replace the stored one."""
        ...


class Backorders(Protocol):
    async def get_for_update(self, order_id: str, line_no: int) -> BackorderRecord | None: ...
    async def open_of_order_for_update(self, order_id: str) -> list[BackorderRecord]: ...
    async def open_for_items_for_update(self, item_codes: Iterable[str], *, skip_order: str | None = None
                                        ) -> list[BackorderRecord]:
        """Open backorders of these items, first confirmed first."""
        ...
    async def add(self, backorders: Sequence[BackorderRecord]) -> None:
        """New backorders; a line already backordered is left as it is."""
        ...
    async def record_fill(self, backorder: BackorderRecord) -> None:
        """Store its `filled`, `remaining` and `status`."""
        ...
    async def resize(self, order_id: str, line_no: int, quantity: Decimal, remaining: Decimal) -> None:
        """A new ordered quantity and remainder: open again."""
        ...
    async def drop_open(self, order_id: str) -> None: ...
    async def cancel_open(self, order_id: str, line_nos: Sequence[int] | None = None) -> None: ...
    async def find(self, status: str | None, item_code: str | None, order_id: str | None, limit: int
                   ) -> list[BackorderRecord]:
        """Oldest confirmation first."""
        ...


    async def reschedule(self, order_id: str, line_no: int, expected_date: date) -> None:
        """The open backorder's new expected date."""
        ...


class DocumentSeries(Protocol):
    async def next_number(self, gstin: str, prefix: str, financial_year: str) -> int:
        """The next number of the series (1 for a new one), the series locked until the transaction ends: numbers
        are issued without gaps (a rolled-back transaction gives its number back)."""
        ...


class Transfers(Protocol):
    async def add(self, transfer: TransferRecord) -> None: ...
    async def get(self, transfer_id: str, *, for_update: bool = False) -> TransferRecord | None: ...
    async def record_receipt(self, transfer: TransferRecord) -> None:
        """Store its lines, status, received_at and received_by."""
        ...
    async def find(self, warehouse_ids: Sequence[str] | None, status: str | None, limit: int
                   ) -> list[TransferRecord]:
        """Newest first; those leaving or reaching one of `warehouse_ids` (None: every warehouse)."""
        ...


class TransferPrices(Protocol):
    async def set(self, price: TransferPrice, actor: str, at: datetime) -> None:
        """Insert, or replace the row of the same item and first day."""
        ...
    async def of_items(self, item_codes: Iterable[str]) -> list[TransferPrice]: ...
    async def every(self, item_code: str | None, limit: int) -> list[TransferPrice]:
        """By item, latest first."""
        ...


class PurchaseReceipts(Protocol):
    async def add(self, receipt: PurchaseReceiptRecord) -> None: ...
    async def get(self, receipt_id: str) -> PurchaseReceiptRecord | None: ...


class CommandReplies(Protocol):
    """The answer given to each of the coordinator's commands, so a command sent again gets the same one."""

    async def get(self, request_id: str) -> Message | None: ...
    async def add(self, command: str, order_id: str, request_id: str, reply: Message) -> None: ...


class ReturnAuthorisations(Protocol):
    async def add(self, authorisation: ReturnAuthorised) -> None:
        """Noted as authorised; noting it again changes nothing."""
        ...
    async def get(self, return_id: str, *, for_update: bool = False) -> ReturnAuthorisationRecord | None: ...
    async def warehouse_of(self, return_id: str) -> str | None: ...
    async def mark_received(self, return_id: str, at: datetime) -> None: ...


class StockViews(Protocol):
    """What people read: answers already shaped as the HTTP API gives them (no aggregate is loaded)."""

    async def balances(self, warehouse_id: str | None, item_code: str | None, limit: int) -> list[dict[str, Any]]: ...
    async def movements(self, warehouse_id: str, item_code: str) -> list[dict[str, Any]]: ...
    async def reservations_of(self, order_id: str) -> list[dict[str, Any]]: ...
    async def available_to_promise_json(self, item_codes: Sequence[str], warehouse_id: str | None, on: date) -> str:
        """ATP of many items as a JSON array (see `service_layer.stock.available_to_promise_json`)."""
        ...


class PincodeDirectory(Protocol):
    """India Post's pincodes: states and coordinates (read-only, outside any transaction)."""

    def state_codes_of(self, pincode: str) -> frozenset[str]: ...
    def coordinates(self, pincode: str, state_code: str | None = None) -> tuple[Coordinates | None, str]:
        """Coordinates and where they came from (head_office, offices_median, centroid, state_capital, none)."""
        ...


class UnitOfWork:
    """One transaction's repositories and the messages it causes. The caller owns the transaction: it commits
    the changes together with `messages` (the outbox) or rolls both back."""

    def __init__(self, *, items: Items, warehouses: Warehouses, routing_policies: RoutingPolicies,
                 stocks: ItemStocks, allocations: OrderAllocations, backorders: Backorders,
                 replies: CommandReplies, returns: ReturnAuthorisations, views: StockViews,
                 directory: PincodeDirectory, series: DocumentSeries, transfers: Transfers,
                 transfer_prices: TransferPrices, receipts: PurchaseReceipts) -> None:
        self.items = items
        self.warehouses = warehouses
        self.routing_policies = routing_policies
        self.stocks = stocks
        self.allocations = allocations
        self.backorders = backorders
        self.replies = replies
        self.returns = returns
        self.views = views
        self.directory = directory
        self.series = series
        self.transfers = transfers
        self.transfer_prices = transfer_prices
        self.receipts = receipts
        self.messages: list[Message] = []

    def publish(self, message: Message) -> None:
        """Send `message` when (and only if) the transaction commits, after those published before it."""
        self.messages.append(message)
