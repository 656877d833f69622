"""Background work of a running notify (ServiceDefinition.on_start): the webhook sender, which posts due
deliveries in transactions of its own, never the consumer's, so a slow or dead receiver holds up no message."""

from __future__ import annotations

import asyncio
import logging

from o2c.notify.bootstrap import Notify
from o2c.notify.service_layer import webhooks

log = logging.getLogger("o2c.notify.webhooks")


async def send_webhooks(notify: Notify) -> None:
    """Sweep until cancelled, retrying with backoff; a failed sweep is logged, not fatal. Sleeps only when a
    sweep found nothing due."""
    while True:
        try:
            async with notify.transaction() as uow:
                sent = await webhooks.send_due(uow, notify.sender, notify.sealer, notify.retry, notify.clock)
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("webhook sweep failed")
            sent = 0
        if not sent:
            await asyncio.sleep(notify.sweep_seconds)
