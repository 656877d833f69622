"""The probe pair on the real stack: fresh databases and topics per test, services started in-process."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import pytest
from o2c.contracts.topics import deadletter_topic, events_topic
from o2c.kit.testing import TestDatabases, create_topics, delete_prefixed_topics
from o2c.testsupport.kit import probe
from o2c.testsupport.kit.probe_pair import ProbePair

pytestmark = pytest.mark.integration


PROBE_TOPICS = (events_topic("sales"), events_topic("credit"), deadletter_topic("credit"), deadletter_topic("sales"))


@asynccontextmanager
async def _pair(databases: TestDatabases, bootstrap: str, prefix: str, jwks_file: str) -> AsyncIterator[ProbePair]:
    urls = {"sales": await databases.create("sales"), "credit": await databases.create("credit")}
    await create_topics(bootstrap, [prefix + t for t in PROBE_TOPICS])
    pair = ProbePair(prefix=prefix, bootstrap=bootstrap, jwks_file=jwks_file, urls=urls)
    probe.POISON_ACTIVE["on"] = True
    probe.DEADLOCKED.clear()
    yield pair
    for side in list(pair.running):
        await pair.stop(side)
    await delete_prefixed_topics(bootstrap, prefix)


@pytest.fixture
async def probe_pair(
    scratch_databases: TestDatabases, kafka_bootstrap: str, run_prefix: str, jwks_file: str
) -> AsyncIterator[ProbePair]:
    async with _pair(scratch_databases, kafka_bootstrap, f"{run_prefix}{uuid.uuid4().hex[:6]}.", jwks_file) as pair:
        yield pair


@pytest.fixture
async def own_probe_pair(own_stack: Any, jwks_file: str) -> AsyncIterator[ProbePair]:
    """The probe pair on the session's own stack: for tests that stop and start its servers."""
    databases = TestDatabases(own_stack.admin_url)
    async with _pair(databases, own_stack.bootstrap, f"t{uuid.uuid4().hex[:8]}.", jwks_file) as pair:
        yield pair
    await databases.drop_all()
