"""`python -m partner_subscriber` (or `o2c-partner-subscriber`): run until interrupted."""

from __future__ import annotations

import asyncio
import logging

from partner_subscriber.app import build
from partner_subscriber.settings import Settings
from partner_subscriber.store import OrderBook


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    settings = Settings.from_env()
    asyncio.run(build(settings, OrderBook(settings.store)).run())


if __name__ == "__main__":
    main()
