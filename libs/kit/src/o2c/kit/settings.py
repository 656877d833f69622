"""Service settings from the environment, with safe local defaults (the local stack's ports)."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TypeVar

from o2c.kit import ports
from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

REPO_ROOT = Path(__file__).resolve().parents[5]
LOCAL_STACK_DIR = REPO_ROOT / ".stack"


class ServiceSettings(BaseSettings):
    """Settings every service has. A service reads `O2C_<SERVICE>_*` first, then the shared `O2C_*`.
    Local defaults (ports, the broker, Redis) move with `O2C_PORT_OFFSET` (o2c.kit.ports).

    Subclasses set `service` and their port; env names are built in `for_service`.
    """

    model_config = SettingsConfigDict(extra="ignore", env_prefix="O2C_")

    service: str = "kit"
    http_host: str = "127.0.0.1"
    http_port: int = 8100
    metrics_port: int = 0
    """Prometheus `/metrics` listens here, never on the API port (a scraper needs no token; a network policy
    can admit only it). 0: http_port + 1000."""
    database_url: str = "postgresql+asyncpg://localhost/o2c"
    kafka_bootstrap: str = Field(default_factory=ports.kafka_bootstrap)
    redis_url: str = Field(default_factory=ports.redis_url)
    consumer_group: str = ""
    instance_id: str = ""
    """This process among the service's live instances (static group membership, claims on portal calls);
    stable across restarts of one instance, unique among live ones. Empty: `<service>-<http_port>`."""
    topic_prefix: str = ""

    jwt_issuer: str = "https://auth.o2c.local"
    jwt_audience: str = "o2c"
    jwks_file: str = Field(default=str(LOCAL_STACK_DIR / "jwt" / "jwks.json"))
    jwks_url: str = ""

    max_body_bytes: int = 1_048_576
    # The broker answers a fetch as soon as one record arrives (fetch.min.bytes=1), so a long wait costs no
    # latency and spares an idle service from polling the broker 50 times a second.
    fetch_max_wait_ms: int = 500
    max_poll_records: int = 500
    handler_max_attempts: int = 5
    consumer_session_timeout_ms: int = 10_000
    """Static membership: how long the group waits for a vanished instance before giving its partitions away."""
    consumer_stall_seconds: float = 60.0
    """A consumer restarting or unable to commit for longer fails liveness (/healthz) and sets o2c_consumer_stalled."""
    relay_batch_size: int = 500
    relay_sweep_seconds: float = 1.0
    publish_timeout_seconds: float = 10.0

    test_clock: bool = False
    """Tests only: read the time from `o2c.kit.clock.shared_test_clock(topic_prefix)`. A process refuses it."""

    otel_exporter: str = ""  # none | console | file | otlp; empty: OTEL_TRACES_EXPORTER, else otlp (telemetry)
    otel_file: str = ""
    otel_endpoint: str = ""
    log_level: str = "INFO"

    @property
    def metrics_listen_port(self) -> int:
        return self.metrics_port or self.http_port + 1000

    def missing_secrets(self) -> list[str]:
        """The settings this process needs but has no value for: it refuses to start without them. A secret
        is needed when the configuration uses it (a subclass adds its own); there is no empty default."""
        from o2c.kit.messaging.kafka_security import KafkaSecurity
        from sqlalchemy.engine import make_url

        url = make_url(self.database_url)
        return ([] if url.password else ["database_url (no password in the URL)"]) + KafkaSecurity().missing_secrets()

    @property
    def instance(self) -> str:
        return self.instance_id or f"{self.service}-{self.http_port}"

    @property
    def group(self) -> str:
        return self.consumer_group or f"o2c-{self.service}"


S = TypeVar("S", bound=ServiceSettings)


def refuse_without_secrets(settings: ServiceSettings, process: str) -> None:
    """Every process entrypoint calls this first: a process without a secret it needs does not start."""
    missing = settings.missing_secrets()
    if missing:
        logging.getLogger("o2c.settings").critical("refusing to start: required secrets are not set: %s",
                                                   ", ".join(missing))
        raise SystemExit(f"{process}: required secrets are not set: {', '.join(missing)}")


def load_settings(cls: type[S], service: str, port: int) -> S:
    """Read `O2C_<SERVICE>_X` over `O2C_X` over defaults, so one shell can run all seven services."""
    shared = cls()
    prefixed_cls = type(
        f"{cls.__name__}For{service.title()}",
        (cls,),
        {"model_config": SettingsConfigDict(extra="ignore", env_prefix=f"O2C_{service.upper()}_")},
    )
    prefixed = prefixed_cls()
    values = shared.model_dump()
    values.update(prefixed.model_dump(exclude_unset=True))
    values["service"] = service
    if values.get("test_clock"):
        raise SystemExit(f"{service}: O2C_TEST_CLOCK is a test-only setting; a service process refuses it")
    if "http_port" not in prefixed.model_fields_set and "http_port" not in shared.model_fields_set:
        values["http_port"] = ports.local_port(port)
    return cls.model_validate(values)


class SandboxSettings(BaseSettings):
    """A local portal sandbox (IRP, NIC e-way bill): where it listens. A subclass names its prefix
    (`O2C_IRP_SANDBOX_`, `O2C_EWB_SANDBOX_`); in a container the host is 0.0.0.0 so other pods reach it."""

    model_config = SettingsConfigDict(extra="ignore")

    host: str = "127.0.0.1"
    port: int = 0
    """0: the sandbox's local port (moved by `O2C_PORT_OFFSET`)."""
    log_level: str = "info"

    def listen_port(self, base: int) -> int:
        return self.port or ports.local_port(base)
