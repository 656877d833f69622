"""The local stack is idempotent and keeps its data.

`up` twice changes nothing; `down` then `up` keeps topics and rows.
"""

from __future__ import annotations

import subprocess
import uuid
from pathlib import Path

import asyncpg
import pytest
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from o2c.kit.testing import stack_value

pytestmark = pytest.mark.integration
STACK = Path(__file__).resolve().parents[1] / "stack.sh"


def stack(*args: str) -> str:
    done = subprocess.run(["bash", str(STACK), *args], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout + done.stderr


async def test_second_up_changes_nothing() -> None:
    stack("up")
    out = stack("up")
    assert "already up" in out and "nothing changed" in out


async def test_down_then_up_keeps_topics_and_rows() -> None:
    admin_url, bootstrap = stack_value("O2C_PG_ADMIN_URL"), stack_value("O2C_KAFKA_BOOTSTRAP")
    marker, topic = uuid.uuid4().hex, f"persist-{uuid.uuid4().hex[:8]}"
    conn = await asyncpg.connect(admin_url)
    try:
        await conn.execute("CREATE TABLE IF NOT EXISTS stack_persistence (marker text PRIMARY KEY)")
        await conn.execute("INSERT INTO stack_persistence VALUES ($1)", marker)
    finally:
        await conn.close()
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        await admin.create_topics([NewTopic(topic, 1, 1)])
    finally:
        await admin.close()

    stack("down")
    stack("up")

    conn = await asyncpg.connect(admin_url)
    try:
        assert await conn.fetchval("SELECT count(*) FROM stack_persistence WHERE marker = $1", marker) == 1
        await conn.execute("DELETE FROM stack_persistence WHERE marker = $1", marker)
    finally:
        await conn.close()
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        assert topic in await admin.list_topics()
        await admin.delete_topics([topic])
    finally:
        await admin.close()
