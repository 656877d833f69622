"""Exposure: what the customer owes (receivables outstanding) plus what we have committed to deliver and not yet
invoiced (open orders), both gross. An order counts once: its invoiced part moves from open order to
receivable, and remainders that will not ship (cancelled, short-picked, backordered) leave when released."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum

from o2c.credit.domain.errors import InvalidValue
from o2c.credit.domain.money import ZERO, Money, non_negative
from o2c.credit.domain.receivables import Receivable


class OpenOrderStatus(StrEnum):
    """Only an approved (automatically or by sanction) order uses headroom. A held order does not: it waits,
    and is checked against the exposure of the moment it is sanctioned."""

    HELD = "held"
    APPROVED = "approved"
    REJECTED = "rejected"


@dataclass
class OpenOrder:
    order_id: str
    customer_id: str
    gross_amount: Money
    status: OpenOrderStatus = OpenOrderStatus.HELD
    revision: int = 1
    invoiced: dict[str, Money] = field(default_factory=dict)
    released: dict[str, Money] = field(default_factory=dict)
    pending_additions: dict[str, Money] = field(default_factory=dict)
    """RecheckCredit amounts held for sanction, by request id: they count only once sanctioned."""
    release_asked: dict[str, Money] = field(default_factory=dict)
    """What each release asked for (`released` keeps what it freed then, for its reply): a release read before
    the undo of an invoice it follows still frees the amount that undo puts back (accounts stored before this
    was kept count `released`)."""
    superseded_releases: list[str] = field(default_factory=list)
    """Releases of an earlier revision: an amendment's gross is the whole new order, so they no longer reduce
    it (kept in `released` so a repeated request still answers with its first figure and frees nothing)."""

    def __post_init__(self) -> None:
        self.gross_amount = non_negative(self.gross_amount, "gross_amount")
        if self.revision < 1:
            raise InvalidValue("revision", "starts at 1")

    @property
    def uninvoiced(self) -> Money:
        """What of the order is neither invoiced nor released, whatever its status."""
        asked = sum(
            (self.release_asked.get(k, v) for k, v in self.released.items() if k not in self.superseded_releases),
            ZERO,
        )
        return max(ZERO, self.gross_amount - sum(self.invoiced.values(), ZERO) - asked)

    @property
    def open_amount(self) -> Money:
        """What this order adds to exposure now."""
        return self.uninvoiced if self.status is OpenOrderStatus.APPROVED else ZERO

    def approve(self) -> None:
        self.status = OpenOrderStatus.APPROVED

    def hold(self) -> None:
        self.status = OpenOrderStatus.HELD

    def reject(self) -> None:
        self.status = OpenOrderStatus.REJECTED

    def add(self, amount: Decimal) -> None:
        """A re-checked part (a backorder refill, a re-opened order) was approved: it counts from now on."""
        self.gross_amount += non_negative(amount, "amount")

    def revise(self, revision: int, gross_amount: Decimal) -> bool:
        """An amended order replaces its amount and waits for a fresh decision (held until re-checked), so an
        amendment can never slip past the check. Older or repeated revisions change nothing. Standing invoices
        still apply (they are part of the new order); releases so far belonged to the revision it replaces."""
        if revision <= self.revision:
            return False
        self.revision = revision
        self.superseded_releases.extend(k for k in self.released if k not in self.superseded_releases)
        self.gross_amount = non_negative(gross_amount, "gross_amount")
        self.status = OpenOrderStatus.HELD
        return True

    def record_invoice(self, invoice_id: str, amount: Decimal) -> Money:
        """The invoiced part moves from open order to receivable: returns how much open-order exposure the
        invoice replaced (never more than was open). The same invoice twice moves nothing more.

        The invoice's whole amount is kept, not only what it replaced: when an invoice of an amended order is
        undone after the new revision's invoice was posted, what stays open must not depend on which of the two
        credit read first (`uninvoiced` floors the difference at zero)."""
        value = non_negative(amount, "invoice_amount")
        if invoice_id in self.invoiced:
            return min(self.invoiced[invoice_id], value)
        moved = min(value, self.uninvoiced)
        self.invoiced[invoice_id] = value
        return moved

    def invoice_undone(self, invoice_id: str) -> Money:
        """An invoice cancelled, or credited in full, before its goods left: its amount is open order again
        (the shipment is re-invoiced, or the order's new revision is; a release for what will not ship follows).
        Returns what it had counted; zero for an invoice not (or no longer) counted on this order."""
        return self.invoiced.pop(invoice_id, ZERO)

    def release(self, request_id: str, amount: Decimal | None = None, revision: int | None = None) -> Money:
        """A remainder that will not be invoiced leaves exposure (None: everything still open). Idempotent per
        request: a repeated request returns the figure it released the first time. A held order's remainder
        is released too, so a later sanction does not count what will never ship. A release of an older
        revision (`revision`; None: the current one), read after the amendment overtook it, frees nothing."""
        if request_id in self.released:
            return self.released[request_id]
        if revision is not None and revision < self.revision:
            self.released[request_id] = ZERO
            self.superseded_releases.append(request_id)
            return ZERO
        wanted = self.uninvoiced if amount is None else non_negative(amount, "release_amount")
        freed = min(wanted, self.uninvoiced)
        self.released[request_id] = freed
        self.release_asked[request_id] = wanted
        return freed


@dataclass(frozen=True)
class Exposure:
    """Gross exposure of one customer. Unapplied credit (advances, unallocated cash, credit-note excess) is
    money we hold for the customer and lowers exposure."""

    receivables: Money = ZERO
    open_orders: Money = ZERO
    unapplied_credit: Money = ZERO

    @property
    def total(self) -> Money:
        return self.receivables + self.open_orders - self.unapplied_credit

    def with_order(self, gross_amount: Decimal) -> Money:
        return self.total + gross_amount

    @classmethod
    def of(
        cls,
        receivables: Iterable[Receivable],
        open_orders: Iterable[OpenOrder],
        unapplied_credit: Decimal = ZERO,
        excluding_order: str | None = None,
    ) -> Exposure:
        """Sum receivables outstanding and approved open orders; `excluding_order` leaves out the open part of
        the order being (re-)checked, so it is counted once, as the new amount."""
        owed = sum((max(r.outstanding, ZERO) for r in receivables), ZERO)
        committed = sum((o.open_amount for o in open_orders if o.order_id != excluding_order), ZERO)
        return cls(owed, committed, non_negative(unapplied_credit, "unapplied_credit"))
