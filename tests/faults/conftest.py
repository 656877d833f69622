"""The fault suite's platform: every service and both sandboxes as real processes on a stack of the session's
own (o2c.kit.own_stack), so killing, stopping and restarting never touches the checkout's stack."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from o2c.kit.local_issuer import LocalIssuer
from o2c.kit.own_stack import OwnStack, ServiceProcesses
from o2c.testsupport.fault_chain import Chain, People


@pytest.fixture(scope="session")
def processes(own_stack: OwnStack) -> Iterator[ServiceProcesses]:
    running = ServiceProcesses(own_stack)
    running.up()
    yield running
    running.down()


@pytest.fixture(scope="session")
def chain(processes: ServiceProcesses) -> Chain:
    # The services verify tokens against the checkout's local issuer (their default JWKS file).
    return Chain(processes, LocalIssuer.in_dir())


@pytest.fixture(scope="session")
def people(chain: Chain) -> People:
    return People.of(chain)


def pytest_terminal_summary(terminalreporter: Any) -> None:
    from o2c.testsupport.fault_support import Recovery

    if Recovery.figures:
        terminalreporter.section("fault recovery times")
        for line in Recovery.figures:
            terminalreporter.write_line(line)
