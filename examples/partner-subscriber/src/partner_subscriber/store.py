"""The partner's own record of its customers' orders, in a local SQLite file: every status received once (by its
message id) and each order's latest status. A real partner keeps this in its own database; the rule is the same:
record the message id in the transaction that applies the status, and a redelivered message changes nothing."""

from __future__ import annotations

import sqlite3
import uuid
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from o2c.contracts.v1.partner import (
    PartnerEwayBillGenerated,
    PartnerOrderBackordered,
    PartnerOrderCancelled,
    PartnerOrderClosed,
    PartnerOrderConfirmed,
    PartnerOrderInvoiced,
    PartnerOrderReleased,
    PartnerShipmentDispatched,
    PartnerStatus,
)

STATUS_WORDS: dict[type[PartnerStatus], str] = {
    PartnerOrderConfirmed: "confirmed", PartnerOrderReleased: "released", PartnerOrderBackordered: "backordered",
    PartnerOrderInvoiced: "invoiced", PartnerEwayBillGenerated: "e-way bill", PartnerShipmentDispatched: "dispatched",
    PartnerOrderClosed: "closed", PartnerOrderCancelled: "cancelled",
}

_SCHEMA = """
CREATE TABLE IF NOT EXISTS received (
    message_id  TEXT PRIMARY KEY,
    order_id    TEXT NOT NULL,
    type        TEXT NOT NULL,
    occurred_at TEXT NOT NULL,
    payload     TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS orders (
    order_id    TEXT PRIMARY KEY,
    order_no    TEXT NOT NULL,
    customer_id TEXT NOT NULL,
    status      TEXT NOT NULL,
    updated_at  TEXT NOT NULL
);
"""


@dataclass(frozen=True)
class OrderStatus:
    order_id: str
    order_no: str
    customer_id: str
    status: str


class OrderBook:
    """The local store. Its writes take well under a millisecond, so the subscriber calls it inline."""

    def __init__(self, path: Path) -> None:
        self.path = path
        with self._connect() as db:
            db.executescript(_SCHEMA)

    def _connect(self) -> sqlite3.Connection:
        return sqlite3.connect(self.path, timeout=10)

    def record(self, message_id: uuid.UUID, occurred_at: datetime, status: PartnerStatus) -> bool:
        """Apply a status once: False (and nothing changed) when this message id was recorded before."""
        db = self._connect()
        try:
            with db:  # one transaction: the id and its effect commit together
                fresh = db.execute(
                    "INSERT OR IGNORE INTO received (message_id, order_id, type, occurred_at, payload) "
                    "VALUES (?, ?, ?, ?, ?)",
                    (str(message_id), status.order_id, status.TYPE, occurred_at.isoformat(),
                     status.model_dump_json())).rowcount == 1
                if fresh:
                    db.execute(
                        "INSERT INTO orders (order_id, order_no, customer_id, status, updated_at) "
                        "VALUES (?, ?, ?, ?, ?) ON CONFLICT (order_id) DO UPDATE SET status = excluded.status, "
                        "updated_at = excluded.updated_at",
                        (status.order_id, status.order_no, status.customer_id, STATUS_WORDS[type(status)],
                         occurred_at.isoformat()))
        finally:
            db.close()
        return fresh

    def orders(self) -> list[OrderStatus]:
        db = self._connect()
        try:
            rows = db.execute("SELECT order_id, order_no, customer_id, status FROM orders ORDER BY order_id").fetchall()
        finally:
            db.close()
        return [OrderStatus(*row) for row in rows]

    def history(self, order_id: str) -> list[str]:
        """The types received for one order, in the order they arrived."""
        db = self._connect()
        try:
            rows = db.execute("SELECT type FROM received WHERE order_id = ? ORDER BY rowid", (order_id,)).fetchall()
        finally:
            db.close()
        return [row[0] for row in rows]
