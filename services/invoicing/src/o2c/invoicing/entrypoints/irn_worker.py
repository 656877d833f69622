"""`python -m o2c.invoicing.entrypoints.irn_worker`: IRN registration in its own process (set the service's
`O2C_INVOICING_IRN_WORKER=separate`). Same database and settings as the service; several may run (claims
skip rows another worker holds; give each its own O2C_INVOICING_INSTANCE_ID: a worker takes back, at start,
the claims held under its own instance name). Messages go through the service's outbox, which the service relays."""

from __future__ import annotations

import asyncio
import logging

from o2c.invoicing.app import DEFINITION
from o2c.invoicing.bootstrap import bootstrap
from o2c.invoicing.entrypoints.workers import irn_loop
from o2c.invoicing.settings import InvoicingSettings
from o2c.kit.db import database_ready
from o2c.kit.service import build_runtime
from o2c.kit.settings import load_settings, refuse_without_secrets
from o2c.kit.telemetry import setup_logging

log = logging.getLogger("o2c.invoicing.irn_worker")


async def run(settings: InvoicingSettings) -> None:
    runtime = build_runtime(DEFINITION, settings)
    try:
        while not await database_ready(runtime.engine):
            log.warning("database not reachable yet; waiting")
            await asyncio.sleep(1.0)
        await irn_loop(bootstrap(runtime), role="irn-worker")
    finally:
        await runtime.engine.dispose()


def main() -> None:
    settings = load_settings(InvoicingSettings, DEFINITION.name, DEFINITION.http_port)
    setup_logging(f"{DEFINITION.name}-irn-worker", settings.log_level)
    refuse_without_secrets(settings, "o2c-invoicing-irn-worker")
    asyncio.run(run(settings))


if __name__ == "__main__":
    main()
