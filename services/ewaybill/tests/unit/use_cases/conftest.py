"""The use cases on an in-memory e-way bill service (`o2c.testsupport.ewaybill.fakes`) with the domain's sandbox
portal as the gateway."""

from __future__ import annotations

import pytest
from o2c.testsupport.ewaybill.fakes import InMemoryEwayBills, SandboxGateway


@pytest.fixture
def ewb() -> InMemoryEwayBills:
    return InMemoryEwayBills()


@pytest.fixture
def portal() -> SandboxGateway:
    return SandboxGateway()
