"""How every Kafka client of a process authenticates to the broker: SCRAM-SHA-512 on the local stack
(SASL_PLAINTEXT: each service its own user, the tests theirs, from .stack/; deploy/local/stack.sh), SCRAM over
TLS on Kubernetes, where Strimzi's listener requires it; each user's ACLs come from o2c.contracts.access. Read
from the environment (`O2C_KAFKA_*`) where a client is made, so every client agrees."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class KafkaSecurity(BaseSettings):
    model_config = SettingsConfigDict(extra="ignore", env_prefix="O2C_KAFKA_")

    security_protocol: Literal["PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"] = "PLAINTEXT"
    sasl_mechanism: Literal["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"] = "SCRAM-SHA-512"
    sasl_username: str = ""
    sasl_password: SecretStr = SecretStr("")
    ssl_cafile: str = ""
    """The broker's CA (Strimzi's cluster CA certificate); empty: the system's trust store."""

    def missing_secrets(self) -> list[str]:
        if self.security_protocol.startswith("SASL") and not (
                self.sasl_username and self.sasl_password.get_secret_value()):
            return ["kafka_sasl_username / kafka_sasl_password"]
        return []

    def client_options(self) -> dict[str, Any]:
        """Keyword arguments for aiokafka's producer, consumer and admin client."""
        if self.security_protocol == "PLAINTEXT":
            return {}
        options: dict[str, Any] = {"security_protocol": self.security_protocol}
        if self.security_protocol.endswith("SSL"):
            from aiokafka.helpers import create_ssl_context

            options["ssl_context"] = create_ssl_context(cafile=self.ssl_cafile or None)
        if self.security_protocol.startswith("SASL"):
            options |= {"sasl_mechanism": self.sasl_mechanism, "sasl_plain_username": self.sasl_username,
                        "sasl_plain_password": self.sasl_password.get_secret_value()}
        return options


CLIENT_ENV = ("O2C_KAFKA_SECURITY_PROTOCOL", "O2C_KAFKA_SASL_MECHANISM", "O2C_KAFKA_SASL_USERNAME",
              "O2C_KAFKA_SASL_PASSWORD", "O2C_KAFKA_SSL_CAFILE")
"""The variables above: what a process started by a test or a tool must inherit to reach the broker."""


def kafka_client_options() -> dict[str, Any]:
    return KafkaSecurity().client_options()
