"""Wiring the entry points take from the kit's Runtime: the clock (injectable), the sanction policy, units of
work over the SQL adapter, and the sanction sweeper (a timer entry point)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from decimal import Decimal

from o2c.contracts.envelope import Message
from o2c.credit.adapters.repository import SqlUnitOfWork
from o2c.credit.domain import SanctionPolicy
from o2c.credit.service_layer import use_cases
from o2c.credit.service_layer.clock import Clock, SystemClock
from o2c.credit.settings import CreditSettings
from o2c.kit.messaging.errors import is_transient
from o2c.kit.service import Runtime

log = logging.getLogger("o2c.credit")

_SYSTEM_CLOCK = SystemClock()


def clock(rt: Runtime) -> Clock:
    """`rt.extras["clock"]` when a test injected one, else the system clock."""
    found = rt.extras.get("clock")
    return found if found is not None else _SYSTEM_CLOCK


def policy(rt: Runtime) -> SanctionPolicy:
    settings = rt.settings
    return settings.sanction_policy() if isinstance(settings, CreditSettings) else SanctionPolicy()


def write_off_ceiling(rt: Runtime) -> Decimal:
    settings = rt.settings
    return settings.payment_write_off_limit if isinstance(settings, CreditSettings) else Decimal("0")


@contextlib.asynccontextmanager
async def unit_of_work(rt: Runtime) -> AsyncIterator[SqlUnitOfWork]:
    """A request transaction; messages go to the outbox in it."""
    async with rt.sessions() as session, session.begin():
        async def publish(message: Message) -> None:
            await rt.outbox.add(session, message)

        yield SqlUnitOfWork(session, publish)


async def sweep_once(rt: Runtime, limit: int = 200) -> dict[str, int]:
    """Escalate and expire what is due now; each request in its own transaction (locks held briefly)."""
    now = clock(rt).now()
    async with rt.sessions() as session:
        due = await SqlUnitOfWork(session, _no_publish).sanctions_due(now, limit)
    counts = {"expired": 0, "escalated": 0}
    for sanction_id, _customer in due:
        async with unit_of_work(rt) as uow:
            outcome = await use_cases.expire_or_escalate(uow, sanction_id, now)
        if outcome:
            counts[outcome] += 1
    return counts


async def _no_publish(message: object) -> None:
    raise RuntimeError("a read-only unit of work publishes nothing")


async def sanction_sweeper(rt: Runtime) -> None:
    """ServiceDefinition.on_start: every few seconds, escalate after the target time and expire after the hold."""
    settings = rt.settings
    interval = settings.sanction_sweep_seconds if isinstance(settings, CreditSettings) else 30.0
    while True:
        try:
            counts = await sweep_once(rt)
            if any(counts.values()):
                log.info("sanction sweep: %s", counts)
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            level = logging.WARNING if is_transient(exc) else logging.ERROR
            log.log(level, "sanction sweep failed (%s: %s); retrying", type(exc).__name__, exc)
        await asyncio.sleep(interval)
