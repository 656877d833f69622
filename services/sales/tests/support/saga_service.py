"""Sales started alone on the real stack with a seeded catalogue, an approved customer and one order; the
coordinator's messages read back from a topic by type."""

from __future__ import annotations

from typing import Any

from o2c.kit.local_issuer import LocalIssuer
from o2c.kit.testing import RunningService, ServiceHarness
from o2c.sales.app import DEFINITION
from o2c.testsupport.sales.sales_support import approved_customer, read_topic, seed_catalog, tokens


async def start(harness: ServiceHarness, issuer: LocalIssuer, **settings: Any
                ) -> tuple[RunningService, dict[str, Any], dict[str, dict[str, str]]]:
    svc = await harness.start(DEFINITION, inventory_url="http://127.0.0.1:9", atp_timeout_seconds=0.2, **settings)
    tok = tokens(issuer)
    async with svc.client() as c:
        await seed_catalog(c, tok["head"])
        customer_id = await approved_customer(c, tok, shortage_policy=settings.pop("shortage", "backorder"))
        r = await c.post("/orders", headers=tok["coord"], json={
            "customer_id": customer_id, "ship_to_id": "main",
            "lines": [{"item_code": "PUMP-1", "quantity": "3"}, {"item_code": "VALVE-1", "quantity": "10"}]})
        assert r.status_code == 201, r.text
        return svc, r.json(), tok


async def of_type(harness: ServiceHarness, topic: str, cls: type[Any]) -> list[Any]:
    return [m for m in await read_topic(harness, topic, 400) if isinstance(m, cls)]
