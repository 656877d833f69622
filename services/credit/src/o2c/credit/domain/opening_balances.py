"""Opening balances: the invoices still outstanding in the system used before o2c, loaded once at go-live so
exposure and ageing are true from the first order. They are receivables only, never o2c tax invoices: no number
from o2c's GST series, no IRN, no GSTR-1 row (the old system reported them).

A CSV (header `customer_id,legacy_invoice_no,invoice_date,due_date,amount`; `due_date` may be empty: the
customer's payment terms then apply) is read here into rows or refusals, each refusal naming its row (the header
is row 1), its column and why. The service layer adds the refusals only it can judge (unknown customer, already
imported) and commits all rows or none."""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation

from o2c.credit.domain.money import PAISA, Money
from o2c.india.documents import GST_DOCUMENT_NUMBER_PATTERN

COLUMNS = ("customer_id", "legacy_invoice_no", "invoice_date", "due_date", "amount")
REQUIRED = ("customer_id", "legacy_invoice_no", "invoice_date", "amount")
MAX_ROWS = 5000
GST_DATE = date(2017, 7, 1)
"""Nothing invoiced under GST is older than its start; an older date is a typing error."""
LEGACY_NO = re.compile(GST_DOCUMENT_NUMBER_PATTERN)
"""As a GST invoice number was (the old system's invoices were GST invoices too): ≤ 16 letters, digits, / and -."""
MAX_AMOUNT = Decimal("999999999999.99")


@dataclass(frozen=True)
class OpeningBalance:
    row: int
    customer_id: str
    legacy_no: str
    invoice_date: date
    due_date: date | None
    amount: Money

    @property
    def key(self) -> tuple[str, str]:
        return self.customer_id, self.legacy_no.upper()


@dataclass(frozen=True)
class RowRefusal:
    row: int
    column: str
    reason: str

    @property
    def field(self) -> str:
        """How the problem+json names it: the CSV's row and column."""
        return f"row {self.row}.{self.column}"


def opening_receivable_id(legacy_no: str) -> str:
    """The receivable's id within its customer's account: one per legacy number, case-insensitive."""
    return f"OB-{legacy_no.upper()}"


def _date(text: str, column: str, row: int, today: date | None, refusals: list[RowRefusal]) -> date | None:
    try:
        value = date.fromisoformat(text)
    except ValueError:
        refusals.append(RowRefusal(row, column, f"bad date {text!r}: write YYYY-MM-DD (IST business date)"))
        return None
    if value < GST_DATE or (today is not None and value > today):
        latest = f" and today ({today})" if today is not None else ""
        refusals.append(RowRefusal(row, column, f"bad date {text}: must lie between {GST_DATE}{latest}"))
        return None
    return value


def _amount(text: str, row: int, refusals: list[RowRefusal]) -> Money | None:
    try:
        value = Decimal(text.replace(",", ""))
    except InvalidOperation:
        value = Decimal("NaN")
    if not value.is_finite() or value <= 0 or value > MAX_AMOUNT or value != value.quantize(PAISA):
        refusals.append(RowRefusal(row, "amount", f"bad amount {text!r}: a positive rupee amount, at most 2 places"))
        return None
    return value.quantize(PAISA)


def parse_opening_balances(text: str, today: date) -> tuple[list[OpeningBalance], list[RowRefusal]]:
    """Every row read, every refusal named (not only the first): a dry run shows the whole file's faults."""
    reader = csv.reader(text.lstrip("\ufeff").splitlines(keepends=True))
    header = [h.strip().lower() for h in next(reader, [])]
    missing = [c for c in REQUIRED if c not in header]
    if missing:
        return [], [RowRefusal(1, c, "missing column") for c in missing]
    unknown = [h for h in header if h not in COLUMNS]
    if unknown:
        return [], [RowRefusal(1, h or "(empty)", "unknown column") for h in unknown]
    rows: list[OpeningBalance] = []
    refusals: list[RowRefusal] = []
    seen: dict[tuple[str, str], int] = {}
    for number, cells in enumerate(reader, start=2):
        if not any(c.strip() for c in cells):
            continue
        if number - 1 > MAX_ROWS:
            refusals.append(RowRefusal(number, "(row)", f"at most {MAX_ROWS} rows per file"))
            break
        if len(cells) != len(header):
            refusals.append(RowRefusal(number, "(row)", f"{len(cells)} cells, the header has {len(header)}"))
            continue
        cell = {h: v.strip() for h, v in zip(header, cells, strict=True)}
        before = len(refusals)
        for column in REQUIRED:
            if not cell[column]:
                refusals.append(RowRefusal(number, column, "empty"))
        customer_id, legacy_no = cell["customer_id"], cell["legacy_invoice_no"]
        if legacy_no and not LEGACY_NO.match(legacy_no):
            refusals.append(RowRefusal(number, "legacy_invoice_no",
                                       "bad invoice number: ≤ 16 letters, digits, / and -, not starting 0, / or -"))
        invoice_date = _date(cell["invoice_date"], "invoice_date", number, today, refusals) \
            if cell["invoice_date"] else None
        due_date = _date(cell["due_date"], "due_date", number, None, refusals) if cell.get("due_date") else None
        if invoice_date is not None and due_date is not None and due_date < invoice_date:
            refusals.append(RowRefusal(number, "due_date", "bad date: before the invoice date"))
        amount = _amount(cell["amount"], number, refusals) if cell["amount"] else None
        key = (customer_id, legacy_no.upper())
        if customer_id and legacy_no and key in seen:
            refusals.append(RowRefusal(number, "legacy_invoice_no",
                                       f"duplicate within the file (row {seen[key]})"))
        elif customer_id and legacy_no:
            seen[key] = number
        if len(refusals) == before and invoice_date is not None and amount is not None:
            rows.append(OpeningBalance(number, customer_id, legacy_no, invoice_date, due_date, amount))
    return rows, refusals
