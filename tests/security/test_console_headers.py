"""Finding 9, the console: served without CSP, frame-ancestors or nosniff, a page that any site could frame or
inject script into. Now every console response carries a CSP without inline script (the page has none left),
frame-ancestors 'none', nosniff and a referrer policy. (The browser tests run the whole console with this CSP
on and fail on any violation; they also prove a login link asks before it logs anyone in.)"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from o2c.kit.testing import RunningService, ServiceHarness
from o2c.sales.tracking.handlers import tracking_of
from o2c.testsupport.sales.tracking_support import TRACKING_ONLY

pytestmark = [pytest.mark.integration]


@pytest.fixture
async def sales(harness: ServiceHarness) -> AsyncIterator[RunningService]:
    running = await harness.start(TRACKING_ONLY, consumer=False, relay=False)
    yield running
    await tracking_of(running.runtime).cache.close()


def _directives(csp: str) -> dict[str, str]:
    return {part.strip().split(" ", 1)[0]: part.strip().partition(" ")[2] for part in csp.split(";") if part.strip()}


async def test_console_responses_carry_csp_frame_ancestors_nosniff_and_referrer_policy(
        sales: RunningService) -> None:
    async with sales.client() as c:
        answers = {path: await c.get(path) for path in
                   ("/console/", "/console/app.js", "/console/app.css", "/console/config.json",
                    "/console/orders/x", "/console/api/credit/customers")}
    for path, r in answers.items():
        csp = _directives(r.headers.get("content-security-policy", ""))
        assert csp.get("script-src") == "'self'", (path, r.headers)
        assert "unsafe-inline" not in r.headers["content-security-policy"]
        assert csp.get("frame-ancestors") == "'none'" and csp.get("base-uri") == "'none'", path
        assert r.headers.get("x-content-type-options") == "nosniff", path
        assert r.headers.get("referrer-policy") == "no-referrer", path
        assert r.headers.get("x-frame-options") == "DENY", path


def test_console_page_has_no_inline_script_handler_or_style() -> None:
    console = Path(__file__).resolve().parents[2] / "services/sales/src/o2c/sales/console"
    html = (console / "index.html").read_text()
    assert all(re.search(r"\bsrc=", tag) for tag in re.findall(r"<script\b[^>]*>", html)), "inline <script>"
    assert not re.search(r"\son[a-z]+\s*=", html), "inline event handler"
    js = (console / "app.js").read_text()
    assert not re.search(r"""\son[a-z]+=["'`]""", js) and "style=" not in js, "markup with inline handler/style"
    # A login link no longer writes the token before the person confirmed.
    link = js[js.index('params.get("token")'):js.index("renderConfirmLogin(offered")]
    assert "sessionStorage.setItem" not in link
