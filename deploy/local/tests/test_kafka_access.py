"""The local broker admits only who authenticates, and each user only to what o2c.contracts.access grants it:
a client without credentials is refused, a service is refused a topic its registry entry does not give it, an
onboarded partner reads its own topic and nothing else (docs/security.md "The broker")."""

from __future__ import annotations

import asyncio
import os
import subprocess
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.errors import (
    GroupAuthorizationFailedError,
    KafkaConnectionError,
    KafkaError,
    TopicAuthorizationFailedError,
)
from o2c.contracts.access import partner_group, partner_topic_name, partner_user
from o2c.contracts.topics import commands_topic, events_topic
from o2c.kit.messaging.kafka_security import KafkaSecurity
from o2c.kit.settings import LOCAL_STACK_DIR
from o2c.kit.testing import stack_value

pytestmark = pytest.mark.integration

STACK_DIR = Path(os.environ.get("O2C_STACK_DIR") or LOCAL_STACK_DIR)
STACK_SCRIPT = Path(__file__).resolve().parents[1] / "stack.sh"
PARTNER, OTHER = "accessprobe", "accessprobe-other"
"""Two partners onboarded by the SRE command; their topics are deleted after the module, their users stay
(re-onboarding is idempotent)."""


def as_user(user: str, password: str) -> dict[str, Any]:
    return KafkaSecurity(security_protocol="SASL_PLAINTEXT", sasl_username=user,
                         sasl_password=password).client_options()  # type: ignore[arg-type]


def service(name: str) -> dict[str, Any]:
    return as_user(f"o2c-{name}", (STACK_DIR / "secrets" / f"kafka-o2c-{name}").read_text().strip())


def admin_options() -> dict[str, Any]:
    values = dict(line.split("=", 1) for line in (STACK_DIR / "kafka" / "admin.env").read_text().splitlines()
                  if "=" in line)
    return as_user(values["O2C_KAFKA_SASL_USERNAME"], values["O2C_KAFKA_SASL_PASSWORD"])


def partner_options(credentials: Path) -> dict[str, Any]:
    values = dict(line.split("=", 1) for line in credentials.read_text().splitlines() if "=" in line)
    return as_user(values["O2C_KAFKA_SASL_USERNAME"], values["O2C_KAFKA_SASL_PASSWORD"])


async def read_one(bootstrap: str, topic: str, options: dict[str, Any], group: str | None = None) -> list[bytes]:
    """Records of the topic from the start (at most a few seconds' worth); raises what the broker refuses."""
    consumer = AIOKafkaConsumer(topic, bootstrap_servers=bootstrap, group_id=group, auto_offset_reset="earliest",
                                enable_auto_commit=False, request_timeout_ms=10000, **options)
    try:
        await consumer.start()
        batches = await consumer.getmany(timeout_ms=5000)
        if group is not None:
            await consumer.commit()  # a group's offsets: the group right is exercised, not only the topic's
        return [r.value or b"" for records in batches.values() for r in records]
    finally:
        await consumer.stop()


@pytest.fixture(scope="module")
def bootstrap() -> str:
    return stack_value("O2C_KAFKA_BOOTSTRAP")


@pytest.fixture(scope="module")
async def partners(bootstrap: str) -> AsyncIterator[dict[str, Path]]:
    """Both partners onboarded with the SRE command, which prints each one's credentials file."""
    files = {}
    for name in (PARTNER, OTHER):
        done = subprocess.run(["bash", str(STACK_SCRIPT), "partner", "add", name], capture_output=True, text=True,
                              timeout=300)
        assert done.returncode == 0, done.stderr[-2000:]
        files[name] = Path(done.stdout.strip().splitlines()[-1])
        assert files[name].stat().st_mode & 0o077 == 0, "a partner's credentials file is the SRE's only"
    yield files
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, **admin_options())
    await admin.start()
    try:
        await admin.delete_topics([partner_topic_name(PARTNER), partner_topic_name(OTHER)])
    finally:
        await admin.close()


async def test_a_client_without_credentials_is_refused(bootstrap: str) -> None:
    anonymous = AIOKafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=5000)
    with pytest.raises((KafkaConnectionError, KafkaError, asyncio.TimeoutError)):
        await asyncio.wait_for(anonymous.start(), 20)
        await asyncio.wait_for(anonymous.list_topics(), 20)
    await anonymous.close()
    wrong = AIOKafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=5000,
                                **as_user("o2c-credit", uuid.uuid4().hex))
    with pytest.raises((KafkaConnectionError, KafkaError, asyncio.TimeoutError)):
        await asyncio.wait_for(wrong.start(), 20)
    await wrong.close()


async def test_a_service_is_refused_the_topics_its_registry_entry_does_not_give_it(bootstrap: str) -> None:
    # credit may not publish on sales' events (only sales may)…
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, request_timeout_ms=10000, **service("credit"))
    await producer.start()
    try:
        with pytest.raises(TopicAuthorizationFailedError):
            await producer.send_and_wait(events_topic("sales"), b"forged", key=b"ord-forged")
    finally:
        await producer.stop()
    # …nor read commands addressed to inventory, nor join another service's consumer group…
    with pytest.raises(TopicAuthorizationFailedError):
        await read_one(bootstrap, commands_topic("inventory"), service("credit"))
    with pytest.raises(GroupAuthorizationFailedError):
        await read_one(bootstrap, commands_topic("credit"), service("credit"), group="o2c-sales")
    # …while the commands addressed to it, in its own group, it reads.
    await read_one(bootstrap, commands_topic("credit"), service("credit"), group="o2c-credit")


async def test_an_onboarded_partner_reads_its_own_topic_only(bootstrap: str, partners: dict[str, Path]) -> None:
    mine = partner_topic_name(PARTNER)
    marker = uuid.uuid4().hex.encode()
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, **admin_options())
    await producer.start()
    try:
        await producer.send_and_wait(mine, marker, key=b"ord-probe")
        await producer.send_and_wait(partner_topic_name(OTHER), b"not for " + PARTNER.encode(), key=b"ord-probe")
    finally:
        await producer.stop()
    options = partner_options(partners[PARTNER])
    assert options["sasl_plain_username"] == partner_user(PARTNER)
    group = f"{partner_group(PARTNER)}.{uuid.uuid4().hex[:6]}"
    assert marker in await read_one(bootstrap, mine, options, group=group)

    with pytest.raises(TopicAuthorizationFailedError):
        await read_one(bootstrap, partner_topic_name(OTHER), options)
    with pytest.raises(TopicAuthorizationFailedError):
        await read_one(bootstrap, events_topic("sales"), options)
    with pytest.raises(GroupAuthorizationFailedError):
        await read_one(bootstrap, mine, options, group=f"{partner_group(OTHER)}.{uuid.uuid4().hex[:6]}")
    # and it cannot write, not even on its own topic
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, request_timeout_ms=10000, **options)
    await producer.start()
    try:
        with pytest.raises(TopicAuthorizationFailedError):
            await producer.send_and_wait(mine, b"forged", key=b"ord-probe")
    finally:
        await producer.stop()
