"""The use cases on an in-memory notify (`o2c.testsupport.notify.fakes`): what one unit of work commits, the next
one reads."""

from __future__ import annotations

import pytest
from o2c.testsupport.notify.fakes import NOW, InMemoryNotify


@pytest.fixture
def notify() -> InMemoryNotify:
    return InMemoryNotify(NOW)
