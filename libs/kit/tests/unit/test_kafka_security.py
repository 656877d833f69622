"""The Kafka clients' security comes from O2C_KAFKA_*: nothing locally, SCRAM over TLS on Kubernetes; a process
configured for SASL without its password refuses to start; a plain postgresql:// URL runs on asyncpg."""

from __future__ import annotations

import ssl

import pytest
from aiokafka import AIOKafkaProducer
from o2c.kit.db import async_url
from o2c.kit.messaging.kafka_security import KafkaSecurity, kafka_client_options
from o2c.kit.settings import ServiceSettings


def test_plaintext_by_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("O2C_KAFKA_SECURITY_PROTOCOL", raising=False)
    assert kafka_client_options() == {}


async def test_scram_over_tls_reaches_the_clients(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("O2C_KAFKA_SECURITY_PROTOCOL", "SASL_SSL")
    monkeypatch.setenv("O2C_KAFKA_SASL_USERNAME", "o2c-sales")
    monkeypatch.setenv("O2C_KAFKA_SASL_PASSWORD", "pw")
    options = kafka_client_options()
    assert options["security_protocol"] == "SASL_SSL" and options["sasl_mechanism"] == "SCRAM-SHA-512"
    assert options["sasl_plain_username"] == "o2c-sales" and isinstance(options["ssl_context"], ssl.SSLContext)
    producer = AIOKafkaProducer(bootstrap_servers="127.0.0.1:1", **options)  # aiokafka accepts them as given
    assert producer.client._security_protocol == "SASL_SSL"


def test_sasl_without_its_password_is_a_missing_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("O2C_KAFKA_SECURITY_PROTOCOL", "SASL_SSL")
    monkeypatch.setenv("O2C_KAFKA_SASL_USERNAME", "o2c-sales")
    monkeypatch.delenv("O2C_KAFKA_SASL_PASSWORD", raising=False)
    assert KafkaSecurity().missing_secrets()
    settings = ServiceSettings(database_url="postgresql+asyncpg://u:p@h/db")
    assert any("kafka_sasl" in m for m in settings.missing_secrets())


def test_a_plain_postgresql_url_runs_on_asyncpg() -> None:
    assert async_url("postgresql://u:p@h:5432/db").startswith("postgresql+asyncpg://u:p@h:5432/db")
    assert async_url("postgresql+asyncpg://u:p@h/db") == "postgresql+asyncpg://u:p@h/db"
