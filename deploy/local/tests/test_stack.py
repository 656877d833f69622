"""The local stack is idempotent and keeps its data.

`up` twice changes nothing; `down` then `up` keeps topics and rows. Both on the session's own stack (the
`own_stack` fixture), never the checkout's: a developer's running stack is not stopped by a test.
"""

from __future__ import annotations

import uuid

import asyncpg
import pytest
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from o2c.kit.messaging.kafka_security import kafka_client_options
from o2c.kit.own_stack import OwnStack

pytestmark = pytest.mark.integration


async def test_second_up_changes_nothing(own_stack: OwnStack) -> None:
    own_stack.script("up")
    out = own_stack.script("up")
    assert "already up" in out and "nothing changed" in out


async def test_down_then_up_keeps_topics_and_rows(own_stack: OwnStack) -> None:
    admin_url, bootstrap = own_stack.admin_url, own_stack.bootstrap
    stack = own_stack.script
    marker, topic = uuid.uuid4().hex, f"t{uuid.uuid4().hex[:8]}.persist"  # the test user's prefix
    conn = await asyncpg.connect(admin_url)
    try:
        await conn.execute("CREATE TABLE IF NOT EXISTS stack_persistence (marker text PRIMARY KEY)")
        await conn.execute("INSERT INTO stack_persistence VALUES ($1)", marker)
    finally:
        await conn.close()
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, **kafka_client_options())
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
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, **kafka_client_options())
    await admin.start()
    try:
        assert topic in await admin.list_topics()
        await admin.delete_topics([topic])
    finally:
        await admin.close()
