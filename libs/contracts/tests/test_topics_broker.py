"""Creating the declared topics on the real broker (the local stack: `make up`) is idempotent."""

from __future__ import annotations

import os
import subprocess
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from o2c.contracts.topics import TOPICS, broker_state, create_missing, prefixed
from o2c.kit.messaging.kafka_security import kafka_client_options

pytestmark = pytest.mark.integration

SCRIPT = Path(__file__).resolve().parents[3] / "deploy" / "local" / "create_topics.sh"


async def _delete(bootstrap: str, names: list[str]) -> None:
    from aiokafka.admin import AIOKafkaAdminClient

    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=20000, **kafka_client_options())
    await admin.start()
    try:
        doomed = [n for n in names if n in set(await admin.list_topics())]
        if doomed:
            await admin.delete_topics(doomed)
    finally:
        await admin.close()


@pytest.fixture
async def prefix(kafka_bootstrap: str, run_prefix: str) -> AsyncIterator[str]:
    mine = f"{run_prefix}contracts-{uuid.uuid4().hex[:6]}."  # topic deletion is asynchronous: never reuse
    yield mine
    await _delete(kafka_bootstrap, [s.name for s in prefixed(mine)])


async def test_create_makes_every_declared_topic_with_its_partitions_and_retention_once(
    kafka_bootstrap: str, prefix: str
) -> None:
    specs = prefixed(prefix)

    created, existing = await create_missing(kafka_bootstrap, specs=specs)
    assert created == sorted(s.name for s in specs) and existing == []

    again, present = await create_missing(kafka_bootstrap, specs=specs)
    assert again == [] and len(present) == len(TOPICS)

    states = await broker_state(kafka_bootstrap, specs)
    assert all(st.exists and st.drift is None for st in states), [st.drift for st in states]
    assert {st.spec.name: (st.partitions, st.retention_ms) for st in states} == {
        s.name: (s.partitions, s.retention_ms) for s in specs
    }


def test_the_deploy_script_creates_missing_topics_idempotently(kafka_bootstrap: str, prefix: str) -> None:
    env = {**os.environ, "O2C_KAFKA_BOOTSTRAP": kafka_bootstrap}
    first = subprocess.run([str(SCRIPT), "--prefix", prefix], env=env, capture_output=True, text=True, check=False)
    assert first.returncode == 0, first.stdout + first.stderr
    assert f"{len(TOPICS)} created, 0 already present" in first.stdout

    second = subprocess.run([str(SCRIPT), "--prefix", prefix], env=env, capture_output=True, text=True, check=False)
    assert second.returncode == 0, second.stdout + second.stderr
    assert f"0 created, {len(TOPICS)} already present" in second.stdout
