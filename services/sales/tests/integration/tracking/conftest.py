"""Fixtures of the tracking tests: sales with only the projection wired (clock fixed at NOW), and a producer of
chain messages as their owning services would publish them."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from o2c.kit.testing import RunningService, ServiceHarness
from o2c.sales.tracking.handlers import tracking_of
from o2c.testsupport.sales.tracking_support import NOW, TRACKING_ONLY, Publisher


@pytest.fixture
async def svc(harness: ServiceHarness) -> AsyncIterator[RunningService]:
    running = await harness.start(TRACKING_ONLY)
    running.runtime.extras["clock"] = lambda: NOW
    yield running
    await tracking_of(running.runtime).cache.close()


@pytest.fixture
async def publisher(harness: ServiceHarness) -> AsyncIterator[Publisher]:
    pub = Publisher(harness.bootstrap, harness.prefix)
    await pub.start()
    yield pub
    await pub.stop()
