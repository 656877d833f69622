"""The e-way bill service on the real stack, with the local sandbox portal served over HTTP. The helpers live in
the packaged test support (`o2c.testsupport.ewaybill.ewaybill_support`); `given` hands them to the tests."""

from __future__ import annotations

from collections.abc import AsyncIterator
from types import ModuleType

import pytest
from o2c.testsupport.ewaybill import ewaybill_support
from o2c.testsupport.ewaybill.ewaybill_support import Sandbox, serving_sandbox


@pytest.fixture
async def sandbox() -> AsyncIterator[Sandbox]:
    async with serving_sandbox() as served:
        yield served


@pytest.fixture
def given() -> ModuleType:
    return ewaybill_support
