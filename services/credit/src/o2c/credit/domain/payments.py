"""Payments as they really arrive: allocated to invoices oldest first unless the buyer names them, partial
payments, advances and unallocated cash kept as unapplied credit, TDS the buyer deducted under s.194Q
(recorded as TDS receivable and counted towards the invoices), and small residues written off within a limit."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from o2c.credit.domain.errors import InvalidValue, UnknownInvoice
from o2c.credit.domain.money import PAISA, ZERO, Money, non_negative
from o2c.credit.domain.receivables import Receivable


@dataclass(frozen=True)
class Payment:
    """A receipt from the customer. `amount` is the cash that reached the bank; `tds_deducted` is what the buyer
    withheld and paid to the government on our behalf. `invoice_ids` names invoices when the buyer did."""

    payment_id: str
    receipt_no: str
    customer_id: str
    received_on: date
    amount: Money
    tds_deducted: Money = ZERO
    invoice_ids: tuple[str, ...] = ()
    mode: str = "neft"
    bank_reference: str | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "amount", non_negative(self.amount, "amount"))
        object.__setattr__(self, "tds_deducted", non_negative(self.tds_deducted, "tds_deducted"))
        object.__setattr__(self, "invoice_ids", tuple(self.invoice_ids))
        if self.amount + self.tds_deducted <= 0:
            raise InvalidValue("amount", "a payment must bring cash or TDS")

    @property
    def credit(self) -> Money:
        """What the customer is credited with: cash plus the TDS deducted for us."""
        return self.amount + self.tds_deducted


@dataclass(frozen=True)
class InvoiceAllocation:
    invoice_id: str
    invoice_no: str
    order_id: str
    amount: Money
    tds_amount: Money = ZERO
    write_off: Money = ZERO
    settles: bool = False

    @property
    def total(self) -> Money:
        return self.amount + self.tds_amount + self.write_off


@dataclass(frozen=True)
class AllocationPlan:
    allocations: tuple[InvoiceAllocation, ...]
    unapplied: Money

    @property
    def applied(self) -> Money:
        return sum((a.amount + a.tds_amount for a in self.allocations), ZERO)


def _candidates(receivables: Sequence[Receivable], invoice_ids: Sequence[str]) -> list[Receivable]:
    if invoice_ids:
        by_id = {r.invoice_id: r for r in receivables}
        chosen: list[Receivable] = []
        for invoice_id in dict.fromkeys(invoice_ids):
            if invoice_id not in by_id:
                raise UnknownInvoice(invoice_id)
            chosen.append(by_id[invoice_id])
        return [r for r in chosen if r.outstanding > 0]
    open_ones = [r for r in receivables if r.outstanding > 0]
    return sorted(open_ones, key=lambda r: (r.invoice_date, r.due_date, r.invoice_no))


def _spread(total: Money, weights: Sequence[Decimal], caps: Sequence[Money]) -> list[Money]:
    """Split `total` in proportion to `weights`, to the paisa, never above each cap; the rounding remainder
    goes to the shares that still have room, first to last."""
    weight_sum = sum(weights, Decimal(0))
    if weight_sum <= 0:
        weights, weight_sum = list(caps), sum(caps, ZERO)
    shares = [
        min(cap, (total * w / weight_sum).quantize(PAISA, rounding=ROUND_HALF_UP)) if weight_sum else ZERO
        for w, cap in zip(weights, caps, strict=True)
    ]
    overshoot = sum(shares, ZERO) - total
    for i in reversed(range(len(shares))):  # rounding up too far: take back from the last shares
        if overshoot <= 0:
            break
        back = min(overshoot, shares[i])
        shares[i] -= back
        overshoot -= back
    remainder = total - sum(shares, ZERO)
    for i, cap in enumerate(caps):  # rounding down, or capped: give the rest where there is room
        if remainder <= 0:
            break
        extra = min(remainder, cap - shares[i])
        shares[i] += extra
        remainder -= extra
    return shares


def plan_allocation(
    receivables: Sequence[Receivable],
    cash: Decimal,
    tds: Decimal = ZERO,
    invoice_ids: Sequence[str] = (),
    write_off_limit: Decimal = ZERO,
) -> AllocationPlan:
    """Decide how cash + TDS settle invoices, without changing anything.

    Cash and TDS form one pool applied oldest invoice first (or in the order the buyer named invoices); TDS is
    then attributed to the invoices reached in proportion to the taxable value each allocation covers (s.194Q
    TDS is on the value excluding GST). A residue up to `write_off_limit` on an invoice the pool reached is
    written off. What is left is unapplied credit (an advance when there is nothing to apply it to)."""
    cash = non_negative(cash, "cash")
    tds = non_negative(tds, "tds")
    limit = non_negative(write_off_limit, "write_off_limit")
    pool = cash + tds
    reached: list[tuple[Receivable, Money]] = []
    for receivable in _candidates(receivables, invoice_ids):
        if pool <= 0:
            break
        take = min(pool, receivable.outstanding)
        reached.append((receivable, take))
        pool -= take

    applied = sum((take for _, take in reached), ZERO)
    attributable = min(tds, applied)
    weights = [r.taxable_value * take / r.amount for r, take in reached]
    tds_shares = _spread(attributable, weights, [take for _, take in reached])

    allocations = []
    for (receivable, take), tds_share in zip(reached, tds_shares, strict=True):
        residue = receivable.outstanding - take
        write_off = residue if ZERO < residue <= limit else ZERO
        allocations.append(
            InvoiceAllocation(
                invoice_id=receivable.invoice_id,
                invoice_no=receivable.invoice_no,
                order_id=receivable.order_id,
                amount=take - tds_share,
                tds_amount=tds_share,
                write_off=write_off,
                settles=residue - write_off <= 0,
            )
        )
    return AllocationPlan(tuple(allocations), pool)
