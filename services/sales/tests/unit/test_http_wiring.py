"""How the sales routes get what they run on: one typed `SalesApi` per app, made by the service's bootstrap from
the kit's runtime on the first request and kept; routes live on module-level routers, one per resource, each
route with its action."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi import FastAPI, Request
from o2c.kit.policy import action_of, routes_of
from o2c.kit.service import build_app, build_runtime
from o2c.sales.app import DEFINITION
from o2c.sales.domain.errors import InvalidValue
from o2c.sales.entrypoints import http
from o2c.sales.entrypoints.dead_letter_groups import DeadLetterGroups, dead_letter_groups
from o2c.sales.entrypoints.http.api import sales_api
from o2c.sales.settings import SalesSettings
from o2c.sales.tracking.http import TrackingApi, tracking_api

NOWHERE = "127.0.0.1:9"


def _app() -> FastAPI:
    settings = SalesSettings(service="sales", http_port=8101, supplier_state_code="29",
                             database_url=f"postgresql+asyncpg://x@{NOWHERE}/x", redis_url=f"redis://{NOWHERE}/0",
                             kafka_bootstrap=NOWHERE)
    return build_app(DEFINITION, build_runtime(DEFINITION, settings), run_consumer=False, run_relay=False)


def _request(app: FastAPI) -> Request:
    scope: dict[str, Any] = {"type": "http", "app": app, "headers": [], "method": "GET", "path": "/"}
    return Request(scope)


async def test_each_app_makes_its_sales_api_once_from_its_runtime() -> None:
    first, second = _app(), _app()
    api = await sales_api(_request(first))
    assert api is await sales_api(_request(first))
    assert api.sales.sessions is first.state.runtime.sessions and api.sales.outbox is first.state.runtime.outbox
    assert api.setup.supplier_state.value == "29"  # from that app's settings
    other = await sales_api(_request(second))
    assert other is not api and other.sales.sessions is second.state.runtime.sessions
    assert isinstance(await tracking_api(_request(first)), TrackingApi)
    assert isinstance(await dead_letter_groups(_request(first)), DeadLetterGroups)


def test_every_sales_route_is_on_a_resource_router_with_its_own_action() -> None:
    app = _app()
    mounted = {(m, p): r for m, p, r in routes_of(app)}
    for router in http.ROUTERS:
        for route in router.routes:
            for method in getattr(route, "methods", ()):
                found = mounted[(method, route.path)]
                assert action_of(found) is not None and action_of(found).startswith("sales."), (method, route)
    assert len(http.ROUTERS) == 9


def test_a_supplier_state_that_is_no_gst_state_is_refused_when_the_settings_load() -> None:
    with pytest.raises(InvalidValue, match="supplier_state_code"):
        SalesSettings(service="sales", supplier_state_code="99")
