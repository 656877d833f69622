"""HTTP for webhooks: partners (or SRE) subscribe a URL, per customer or global; SRE reads deliveries,
`?status=dead` being the dead letters with every attempt listed."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query
from o2c.kit.auth import Principal, Role, require
from o2c.kit.problems import Problem
from o2c.kit.service import Runtime
from o2c.notify.adapters.webhooks import WebhookRepository
from pydantic import BaseModel, Field, HttpUrl

subscriber = Annotated[Principal, Depends(require(Role.PARTNER, Role.SRE))]
sre = Annotated[Principal, Depends(require(Role.SRE))]


class Subscription(BaseModel):
    url: HttpUrl
    customer_id: str | None = Field(default=None, max_length=64)
    """None: every customer's notifications."""


def router(rt: Runtime) -> APIRouter:
    api = APIRouter(tags=["webhooks"])

    @api.post("/webhooks", status_code=201, summary="Subscribe a URL to notifications (per customer or global)")
    async def subscribe(body: Subscription, who: subscriber) -> dict[str, Any]:
        customer_id = body.customer_id
        if who.customer_id and Role.SRE not in who.roles:
            # a partner login bound to one customer subscribes for that customer only
            if customer_id and customer_id != who.customer_id:
                raise Problem(403, "Forbidden", "this login may subscribe only for its own customer")
            customer_id = who.customer_id
        async with rt.sessions() as session, session.begin():
            return await WebhookRepository(session).subscribe(str(body.url), customer_id, who.subject)

    @api.get("/webhooks", summary="Active subscriptions")
    async def list_subscriptions(_: subscriber) -> list[dict[str, Any]]:
        async with rt.sessions() as session:
            return await WebhookRepository(session).subscriptions()

    @api.get("/webhook-deliveries", summary="Webhook deliveries with every attempt (status=dead: dead letters)")
    async def deliveries(_: sre, status: Literal["pending", "delivered", "dead"] | None = None,
                         order_id: str | None = None,
                         limit: int = Query(default=200, le=1000)) -> list[dict[str, Any]]:
        async with rt.sessions() as session:
            return await WebhookRepository(session).find(status=status, order_id=order_id, limit=limit)

    return api
