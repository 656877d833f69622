"""The sales HTTP API: one module-level router per resource, each route guarded by its action from the access
policy (`Depends(allow(...))`); a route parses, authorises (role and data scope), calls one use case, answers.
What the routes run on comes one way, `api: Api` (`o2c.sales.entrypoints.http.api`).

Domain refusals become RFC 9457 problems: `InvalidValue` → 422 naming the field, `RuleViolation` → 409 with
the reason, nothing written.
"""

from __future__ import annotations

from fastapi import APIRouter
from o2c.sales.entrypoints.http import (
    customers,
    gst_rates,
    items,
    orders,
    price_lists,
    quotations,
    returns,
    saga_exceptions,
    schemes,
)

ROUTERS: tuple[APIRouter, ...] = (
    customers.router, items.router, gst_rates.router, price_lists.router, schemes.router, quotations.router,
    orders.router, saga_exceptions.router, returns.router,
)
