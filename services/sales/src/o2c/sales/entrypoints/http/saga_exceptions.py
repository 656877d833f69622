"""Orders a person must look at: failed sagas, raised exceptions and keys parked here or elsewhere."""

from __future__ import annotations

from typing import Annotated, Any

import sqlalchemy as sa
from fastapi import APIRouter, Depends
from o2c.kit.auth import Principal
from o2c.kit.edge import Limit
from o2c.kit.policy import allow
from o2c.sales.adapters import db
from o2c.sales.entrypoints.http.api import Api
from o2c.sales.entrypoints.parked import parked_keys

Watchers = Annotated[Principal, Depends(allow("sales.saga-exception.read"))]

router = APIRouter(tags=["orders"])


@router.get("/saga-exceptions", summary="Orders a person must look at (failed, parked, raised)")
async def exceptions(_: Watchers, api: Api, limit: Limit = 100, ended: bool = False) -> list[dict[str, Any]]:
    """A failed saga stays until someone acts; the exceptions of a closed or cancelled order only with
    `ended=true` (history, not a queue)."""
    t = db.order_saga
    raised = sa.func.jsonb_array_length(t.c.exceptions) > 0
    if not ended:
        raised = sa.and_(raised, t.c.status.not_in(("closed", "cancelled")))
    async with api.reading() as uow:
        session = uow.session
        rows = (await session.execute(
            sa.select(t.c.order_id, t.c.status, t.c.exceptions, t.c.waiting_for, t.c.updated_at)
            .where(sa.or_(t.c.status == "failed", raised))
            .order_by(t.c.updated_at.desc()).limit(min(limit, 500)))).all()
        held = await parked_keys(session, None)
    return [{"order_id": r.order_id, "status": r.status, "exceptions": r.exceptions,
             "waiting_for": r.waiting_for, "updated_at": r.updated_at.isoformat()} for r in rows] + [
        {"order_id": p["order_id"], "status": "parked", "exceptions": [p], "waiting_for": "a person to replay or "
         f"discard dead letter {p['dead_letter_id']} in {p['service']}", "updated_at": p["parked_at"]}
        for p in held]
