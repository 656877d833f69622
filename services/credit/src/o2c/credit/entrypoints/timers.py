"""Timer entry points: the sanction sweeper escalates and expires what is due, each request in a transaction of
its own (locks held briefly), through the same bootstrap as the HTTP routes and message handlers."""

from __future__ import annotations

import asyncio
import logging

from o2c.credit.bootstrap import Credit
from o2c.credit.service_layer import use_cases
from o2c.kit.messaging.errors import is_transient

log = logging.getLogger("o2c.credit")


async def sweep_once(credit: Credit, limit: int = 200) -> dict[str, int]:
    """Escalate and expire what is due now."""
    now = credit.now()
    async with credit.reading() as uow:
        due = await uow.sanctions.due(now, limit)
    counts = {"expired": 0, "escalated": 0}
    for sanction_id in due:
        async with credit.transaction() as uow:
            outcome = await use_cases.expire_or_escalate(uow, sanction_id, now)
        if outcome:
            counts[outcome] += 1
    return counts


async def sanction_sweeper(credit: Credit) -> None:
    """Started with the service: every few seconds, escalate after the target time and expire after the hold."""
    while True:
        try:
            counts = await sweep_once(credit)
            if any(counts.values()):
                log.info("sanction sweep: %s", counts)
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            level = logging.WARNING if is_transient(exc) else logging.ERROR
            log.log(level, "sanction sweep failed (%s: %s); retrying", type(exc).__name__, exc)
        await asyncio.sleep(credit.sweep_seconds)
