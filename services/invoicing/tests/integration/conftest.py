"""Invoicing on the real stack: the service started by the kit's harness, input events sent through the
real broker as their producers would send them, the IRP sandbox mounted in-process over real HTTP shapes.
The builders and the broker live in `o2c.testsupport.invoicing.invoicing_stack` (the `given` fixture)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from types import ModuleType

import httpx
import pytest
from o2c.invoicing.adapters.irp import HttpIrpGateway
from o2c.invoicing.adapters.irp_sandbox import SandboxState, create_app
from o2c.invoicing.app import DEFINITION
from o2c.kit.testing import RunningService, ServiceHarness
from o2c.testsupport.invoicing import invoicing_stack
from o2c.testsupport.invoicing.invoicing_stack import Broker, irp_sandbox_process, rates_replicated, started_broker


@pytest.fixture
async def broker(harness: ServiceHarness) -> AsyncIterator[Broker]:
    """The broker, with the rates the tests' HSNs need already on sales' rate topic."""
    async with started_broker(harness) as b:
        yield b


@pytest.fixture
def sandbox() -> SandboxState:
    return SandboxState()


@pytest.fixture
async def invoicing(harness: ServiceHarness, sandbox: SandboxState, broker: Broker) -> RunningService:
    """The service with the IRP sandbox behind a real HTTP client (ASGI transport, no socket), its rate replica
    filled from sales' rate topic."""
    svc = await harness.start(DEFINITION, irp_mode="off", irn_poll_seconds=0.05, irn_retry_seconds=0.2,
                              pdf_poll_seconds=0.2)
    svc.runtime.extras["irp"] = HttpIrpGateway(
        "http://irp.sandbox", timeout=5.0, transport=httpx.ASGITransport(app=create_app(sandbox)))
    await rates_replicated(svc)
    return svc


@pytest.fixture
def given() -> ModuleType:
    return invoicing_stack


@pytest.fixture
def irp_url() -> Iterator[str]:
    """The IRP sandbox as its own process on a free port (the kill tests call it over HTTP)."""
    with irp_sandbox_process() as url:
        yield url
