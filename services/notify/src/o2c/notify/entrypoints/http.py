"""HTTP: what the customer was told. A customer login reads only its own notifications. Routes live on module-level
routers, one per resource (`ROUTERS`), and run on the `notify_of` dependency (the service's `bootstrap.Notify`)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from o2c.kit.auth import Principal
from o2c.kit.edge import Limit, RequestModel
from o2c.kit.policy import allow
from o2c.kit.problems import InvalidField, NotFound
from o2c.kit.scope import ensure_customer_visible
from o2c.notify.bootstrap import Notify, bootstrap
from o2c.notify.domain.notices import compose
from o2c.notify.domain.templates import MessageKind, TemplateProblem
from o2c.notify.service_layer.ports import OutgoingMail
from pydantic import Field

# Each route's action; which roles may do it is the access policy's (o2c.kit.policy).
reader = Annotated[Principal, Depends(allow("notify.notification.read"))]
editor = Annotated[Principal, Depends(allow("notify.template.preview"))]


def view(mail: OutgoingMail) -> dict[str, Any]:
    return {
        "notification_id": mail.notification_id, "kind": mail.kind, "channel": mail.channel,
        "recipient": mail.recipient, "customer_id": mail.customer_id, "order_id": mail.order_id,
        "shipment_id": mail.shipment_id, "language": mail.language, "subject": mail.subject, "body": mail.body,
        "status": mail.status, "adapter": mail.adapter, "detail": mail.detail,
        "created_at": mail.created_at.isoformat() if mail.created_at else None,
    }


class PreviewRequest(RequestModel):
    kind: MessageKind
    language: str = Field(default="en", max_length=8)
    fields: dict[Annotated[str, Field(max_length=64)], Annotated[str, Field(max_length=2000)]] = Field(
        default_factory=dict, max_length=100)


def _own_only(who: Principal) -> bool:
    return not who.may_see_customer("\x00another")


async def notify_of(request: Request) -> Notify:
    """What the routes run on: the running service's bootstrap (one per runtime, kept in `rt.extras`), from the
    runtime the kit keeps on the app (`app.state.runtime`); a test may override this dependency."""
    return bootstrap(request.app.state.runtime)


NotifyApp = Annotated[Notify, Depends(notify_of)]

# One router per resource; each route names its action (who may do it is the access policy's). The webhook
# routers are webhooks_http's (`webhooks_http.ROUTERS`).
notifications = APIRouter(tags=["notifications"])
templates = APIRouter(tags=["notifications"])
ROUTERS = (notifications, templates)


@notifications.get("/notifications", summary="Messages sent, by order or customer (a customer sees only its own)")
async def list_notifications(who: reader, notify: NotifyApp, order_id: str | None = None,
                             customer_id: str | None = None,
                             limit: Limit = 200) -> list[dict[str, Any]]:
    own = _own_only(who)
    if not own and not order_id and not customer_id:
        raise InvalidField("order_id", "give order_id or customer_id")
    async with notify.reading() as uow:
        if customer_id:
            await ensure_customer_visible(uow.session, who, customer_id)
        if own:
            customer_id = who.customer_id or ""
        if order_id and own:
            for owner in await uow.notifications.customers_of_order(order_id):
                who.ensure_customer(owner)
        return [view(m) for m in await uow.notifications.find(order_id=order_id, customer_id=customer_id,
                                                              limit=limit, viewer=who)]


@notifications.get("/notifications/{notification_id}", summary="One message as sent")
async def get_notification(notification_id: str, who: reader, notify: NotifyApp) -> dict[str, Any]:
    async with notify.reading() as uow:
        mail = await uow.notifications.get(notification_id)
        if mail is None:
            raise NotFound("notification", notification_id)
        await ensure_customer_visible(uow.session, who, mail.customer_id)
        return view(mail)


@templates.post("/templates/preview", summary="Render a template with the given fields (nothing is sent)")
async def preview(body: PreviewRequest, _: editor, notify: NotifyApp) -> dict[str, str]:
    class _Fields:
        kind = body.kind

        def fields(self) -> dict[str, str]:
            return body.fields

    try:
        rendered = compose(_Fields(), notify.telling.book, body.language)  # type: ignore[arg-type]
    except TemplateProblem as exc:
        raise InvalidField("fields", str(exc)) from exc
    return {"language": rendered.language, "subject": rendered.subject, "body": rendered.body}

