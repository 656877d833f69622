"""HTTP for webhooks: a partner subscribes its URL for a customer it serves (an SRE also for every customer),
receives the subscription's own signing secret once, lists and removes only its own subscriptions, and rotates
the secret (shown once again). SRE reads deliveries, `?status=dead` being the dead letters with every attempt.
Routes live on module-level routers, one per resource (`ROUTERS`), and run on `http.notify_of`."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Query, Response
from o2c.kit.auth import Principal, Role
from o2c.kit.edge import Limit, RequestModel
from o2c.kit.policy import allow
from o2c.kit.problems import Conflict, InvalidField, NotFound, Problem
from o2c.kit.scope import partner_serves
from o2c.notify.bootstrap import Notify
from o2c.notify.domain.webhooks import MAX_PREVIOUS_SECRET_HOURS, MAX_URL_LENGTH, UrlRefused
from o2c.notify.entrypoints.http import NotifyApp
from o2c.notify.service_layer import webhooks
from pydantic import Field
from sqlalchemy.ext.asyncio import AsyncSession

# Each route's action; which roles may do it is the access policy's (o2c.kit.policy).
subscriber = Annotated[Principal, Depends(allow("notify.webhook.subscribe"))]
sre = Annotated[Principal, Depends(allow("notify.webhook.delivery.read"))]
SubscriptionId = Annotated[str, Path(max_length=64, pattern=r"^whs-[0-9a-f]{16}$")]


class Subscription(RequestModel):
    url: str = Field(min_length=1, max_length=MAX_URL_LENGTH)
    """https URL of the partner's receiver (public address; plain http only for configured development hosts)."""
    customer_id: str | None = Field(default=None, max_length=64)
    """None: every customer's notifications (SRE only)."""


def owner_of(who: Principal) -> str:
    """Whose subscriptions these are: a partner's (by its partner id) or the SRE team's."""
    if Role.PARTNER in who.roles:
        if not who.partner_id:
            raise Problem(403, "Forbidden", "a partner login needs a partner id to manage webhooks")
        return f"partner:{who.partner_id}"
    return "sre"


async def authorise_subscription(session: AsyncSession, who: Principal, customer_id: str | None) -> None:
    """May `who` receive `customer_id`'s notifications (None: every customer's)? The one place this is decided.
    An SRE may subscribe for any customer or all; a partner only for one customer it serves."""
    if Role.SRE in who.roles and Role.PARTNER not in who.roles:
        return
    if customer_id is None:
        raise Problem(403, "Forbidden", "only an SRE may subscribe to every customer's notifications")
    # A token still naming one customer is held to it.
    if who.customer_id and who.customer_id != customer_id:
        raise Problem(403, "Forbidden", "this partner login may subscribe only for its own customer")
    # Which partners serve a customer is customer master (sales); notify checks its own replica of it.
    if not await partner_serves(session, who.partner_id or "", customer_id):
        raise Problem(403, "Forbidden", f"partner {who.partner_id} does not serve customer {customer_id}")


# One router per resource; each route names its action (who may do it is the access policy's).
subscriptions = APIRouter(tags=["webhooks"])
delivery_log = APIRouter(tags=["webhooks"])
ROUTERS = (subscriptions, delivery_log)


async def checked(notify: Notify, url: str) -> str:
    try:
        await notify.urls.pin(url)
    except UrlRefused as exc:
        raise InvalidField("url", str(exc)) from exc
    return url


@subscriptions.post("/webhooks", status_code=201,
                    summary="Subscribe a URL to a customer's notifications (SRE: or every customer's); "
                            "the answer carries the subscription's signing secret, shown this once")
async def subscribe(body: Subscription, who: subscriber, notify: NotifyApp) -> dict[str, Any]:
    owner = owner_of(who)
    async with notify.reading() as uow:
        await authorise_subscription(uow.session, who, body.customer_id)
    url = await checked(notify, body.url)  # outside any transaction: the lookup may take seconds
    async with notify.transaction() as uow:
        made = await webhooks.subscribe(uow, notify.sealer, url=url, customer_id=body.customer_id, owner=owner,
                                        partner_id=who.partner_id if owner != "sre" else None,
                                        created_by=who.subject)
        if made is None:
            found = await uow.subscriptions.existing(url=url, customer_id=body.customer_id, owner=owner)
            raise Conflict("this URL is already subscribed for this customer; rotate its secret instead",
                           subscription_id=found["subscription_id"] if found else None)
    view, secret = made
    return {**view, "secret": secret}


@subscriptions.get("/webhooks",
                   summary="The caller's own active subscriptions (SRE: the SRE team's); never a secret")
async def list_subscriptions(who: subscriber, notify: NotifyApp) -> list[dict[str, Any]]:
    owner = owner_of(who)
    async with notify.reading() as uow:
        return await uow.subscriptions.listed(owner)


@subscriptions.post("/webhooks/{subscription_id}/secret",
                    summary="Rotate the subscription's signing secret (its owner only); "
                            "the new one is shown this once. "
                            "The replaced one keeps signing beside it for keep_previous_hours (0: it stops at once)")
async def rotate_secret(subscription_id: SubscriptionId, who: subscriber, notify: NotifyApp,
                        keep_previous_hours: Annotated[int, Query(ge=0, le=MAX_PREVIOUS_SECRET_HOURS)] = 24,
                        ) -> dict[str, Any]:
    owner = owner_of(who)
    async with notify.transaction() as uow:
        rotated = await webhooks.rotate_secret(uow, notify.sealer, subscription_id, owner,
                                               keep_previous=timedelta(hours=keep_previous_hours))
    if rotated is None:
        raise NotFound("webhook subscription", subscription_id)
    found, secret = rotated
    return {**found, "secret": secret}


@subscriptions.delete("/webhooks/{subscription_id}", status_code=204,
                      summary="Remove a subscription (its owner only); nothing more is sent to it")
async def remove(subscription_id: SubscriptionId, who: subscriber, notify: NotifyApp) -> Response:
    owner = owner_of(who)
    async with notify.transaction() as uow:
        if not await webhooks.remove_subscription(uow, subscription_id, owner, who.subject):
            raise NotFound("webhook subscription", subscription_id)
    return Response(status_code=204)


@delivery_log.get("/webhook-deliveries",
                  summary="Webhook deliveries with every attempt (status=dead: dead letters)")
async def deliveries(_: sre, notify: NotifyApp, status: Literal["pending", "delivered", "dead"] | None = None,
                     order_id: str | None = None,
                     limit: Limit = 200) -> list[dict[str, Any]]:
    async with notify.reading() as uow:
        return await uow.deliveries.find(status=status, order_id=order_id, limit=limit)

