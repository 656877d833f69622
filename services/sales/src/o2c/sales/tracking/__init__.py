"""Order tracking: the one screen. A projection of every chain message into one view per order (PostgreSQL
durable, Redis hot and fan-out), its read API, the dashboards and the console's backend-for-frontend."""

from __future__ import annotations

from o2c.sales.tracking.domain import ALL_MESSAGES
from o2c.sales.tracking.handlers import handlers
from o2c.sales.tracking.http import CONSOLE_DIR, router
from o2c.sales.tracking.tables import metadata

__all__ = ["ALL_MESSAGES", "CONSOLE_DIR", "handlers", "metadata", "router"]
