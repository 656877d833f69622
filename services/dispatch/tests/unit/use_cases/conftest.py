"""The use cases' unit tests run on an in-memory dispatch (`o2c.testsupport.dispatch.in_memory`): a unit of work
per transaction over shared in-memory stores, what each committed one published in `dispatch.sent`."""

from __future__ import annotations

import pytest
from o2c.testsupport.dispatch.in_memory import InMemoryDispatch


@pytest.fixture
def dispatch() -> InMemoryDispatch:
    return InMemoryDispatch()
