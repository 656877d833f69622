"""A read model and the service's own use case can both handle one message type."""

from __future__ import annotations

from typing import Any

from o2c.kit.messaging.consumer import combine_handlers


async def test_combined_handlers_run_in_order_and_single_ones_stay_untouched() -> None:
    calls: list[str] = []

    async def saga(message: Any, ctx: Any) -> None:
        calls.append("saga")

    async def tracking(message: Any, ctx: Any) -> None:
        calls.append("tracking")

    combined = combine_handlers({"CreditApproved": saga}, {"CreditApproved": tracking, "InvoiceIssued": tracking})
    await combined["CreditApproved"](None, None)  # type: ignore[arg-type]
    assert calls == ["saga", "tracking"]
    assert combined["InvoiceIssued"] is tracking
