"""The quotation PDF over HTTP against the real stack: rendered for sales, refused to another customer."""

from __future__ import annotations

import re

import pytest
from o2c.kit.local_issuer import LocalIssuer
from o2c.kit.testing import ServiceHarness, bearer
from o2c.sales.app import DEFINITION
from o2c.testsupport.sales.sales_support import approved_customer, seed_catalog, tokens

pytestmark = pytest.mark.integration


async def test_quotation_pdf_for_the_coordinator_and_the_own_customer_not_another(
    harness: ServiceHarness, issuer: LocalIssuer,
) -> None:
    svc = await harness.start(DEFINITION, consumer=False, inventory_url="http://127.0.0.1:9", atp_timeout_seconds=0.3,
                              company_name="Ratan Pumps Pvt Ltd", company_gstin="27AAACR5055K1Z7")
    tok = tokens(issuer)
    async with svc.client() as c:
        codes = await seed_catalog(c, tok["head"], count=60)
        mine = await approved_customer(c, tok)
        other = await approved_customer(c, tok, code="OTHER")
        r = await c.post("/quotations", headers=tok["coord"], json={
            "customer_id": mine, "ship_to_id": "main",
            "lines": [{"item_code": code, "quantity": "3"} for code in codes]})
        assert r.status_code == 201, r.text
        quotation = r.json()
        url = f"/quotations/{quotation['quotation_id']}/pdf"

        r = await c.get(url, headers=tok["coord"])
        assert r.status_code == 200, r.text
        assert r.headers["content-type"] == "application/pdf"
        assert r.content.startswith(b"%PDF") and len(re.findall(rb"/Type /Page\b", r.content)) > 1
        assert quotation["number"].replace("/", "-") in r.headers["content-disposition"]

        own_login = bearer(issuer, "customer", customer_id=mine)
        other_login = bearer(issuer, "customer", customer_id=other)
        assert (await c.get(url, headers=own_login)).status_code == 200
        assert (await c.get(url, headers=other_login)).status_code == 403
        stranger = bearer(issuer, "sales_coordinator", sales_owner="ravi")
        assert (await c.get(url, headers=stranger)).status_code == 403
        assert (await c.get(url)).status_code == 401
        assert (await c.get("/quotations/no-such-quotation/pdf", headers=tok["coord"])).status_code == 404
