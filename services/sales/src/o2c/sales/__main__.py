"""`python -m o2c.sales [serve|migrate|dead-letters …|tracking-rebuild|customers-announce]`."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections.abc import Sequence
from datetime import UTC, datetime

from o2c.kit.service import build_runtime
from o2c.kit.service import main as kit_main
from o2c.kit.settings import load_settings, refuse_without_secrets
from o2c.kit.telemetry import setup_logging
from o2c.sales.app import DEFINITION
from o2c.sales.bootstrap import bootstrap
from o2c.sales.service_layer import customers
from o2c.sales.tracking.handlers import tracking_of
from o2c.sales.tracking.rebuild import rebuild

TRACKING_REBUILD = "tracking-rebuild"
CUSTOMERS_ANNOUNCE = "customers-announce"


def main(argv: Sequence[str] | None = None) -> None:
    args = list(sys.argv[1:] if argv is None else argv)
    if args and args[0] == TRACKING_REBUILD:
        tracking_rebuild(args[1:])
        return
    if args and args[0] == CUSTOMERS_ANNOUNCE:
        customers_announce(args[1:])
        return
    kit_main(DEFINITION, argv)


def tracking_rebuild(argv: Sequence[str]) -> None:
    """Rebuild the order-tracking tables from the events topics, then the Redis hot view; print the report."""
    parser = argparse.ArgumentParser(
        prog=f"python -m o2c.sales {TRACKING_REBUILD}",
        description="Rebuild the order-tracking projection (tracking_* tables and the Redis hot view) by "
        "replaying every chain events topic from offset 0. Live folds wait during the final transaction only.",
    )
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    args = parser.parse_args(argv)
    settings = load_settings(DEFINITION.settings_class, DEFINITION.name, DEFINITION.http_port)
    setup_logging(DEFINITION.name, settings.log_level)
    refuse_without_secrets(settings, "o2c-sales tracking-rebuild")

    async def run() -> None:
        runtime = build_runtime(DEFINITION, settings)
        try:
            report = await rebuild(runtime)
        finally:
            await tracking_of(runtime).cache.close()
            await runtime.engine.dispose()
        if args.json:
            print(json.dumps(report.__dict__, indent=2))
        else:
            print("tracking rebuild")
            for line in report.lines():
                print("  " + line)

    asyncio.run(run())


def customers_announce(argv: Sequence[str]) -> None:
    """Publish every approved customer's record again (CustomerUpdated, same revision): services that began
    keeping the customer scope after those customers were approved fill their replicas; nothing else changes."""
    parser = argparse.ArgumentParser(prog=f"python -m o2c.sales {CUSTOMERS_ANNOUNCE}", description=(
        customers_announce.__doc__ or "").split(":")[0])
    parser.parse_args(argv)
    settings = load_settings(DEFINITION.settings_class, DEFINITION.name, DEFINITION.http_port)
    refuse_without_secrets(settings, f"o2c-sales {CUSTOMERS_ANNOUNCE}")
    setup_logging(DEFINITION.name, settings.log_level)

    async def run() -> int:
        runtime = build_runtime(DEFINITION, settings)
        try:
            async with bootstrap(runtime).transaction() as uow:
                return await customers.announce_all(uow, datetime.now(UTC))
        finally:
            await runtime.engine.dispose()

    print(f"{asyncio.run(run())} customers announced (CustomerUpdated, revision unchanged)")


if __name__ == "__main__":
    main()
