"""The subscriber's settings, from the environment (`O2C_PARTNER_*`): who the partner is, where the broker is, the
SCRAM credentials the SRE's onboarding gave, and where the local store lives."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from o2c.contracts.topics import DEFAULT_BOOTSTRAP, partner_topic


@dataclass(frozen=True)
class Settings:
    partner: str
    """The partner name the onboarding gave: it names the topic, the broker user and the consumer group."""
    bootstrap: str = DEFAULT_BOOTSTRAP
    username: str = ""
    """The SCRAM-SHA-512 user (`partner-<partner>` unless the onboarding said otherwise)."""
    password: str = field(default="", repr=False)
    use_tls: bool = False
    """SASL_SSL (a broker reached over a network); the local stack speaks SASL_PLAINTEXT."""
    group: str = ""
    """The consumer group: the broker lets a partner use `partner-<partner>` and `partner-<partner>.<anything>` only."""
    store: Path = Path("partner-orders.sqlite3")
    topic_prefix: str = ""
    """Only for o2c's own test runs, whose topics carry a per-run prefix."""

    @property
    def topic(self) -> str:
        return self.topic_prefix + partner_topic(self.partner)

    @property
    def consumer_group(self) -> str:
        return self.group or f"partner-{self.partner}"

    @classmethod
    def from_env(cls, env: Mapping[str, str] = os.environ) -> Settings:
        partner = env.get("O2C_PARTNER_NAME", "")
        if not partner:
            raise SystemExit("O2C_PARTNER_NAME is not set: the partner name your onboarding gave")
        partner_topic(partner)  # refuse a name that cannot name a topic before connecting
        return cls(
            partner=partner,
            bootstrap=env.get("O2C_PARTNER_BOOTSTRAP", DEFAULT_BOOTSTRAP),
            username=env.get("O2C_PARTNER_USERNAME", f"partner-{partner}"),
            password=env.get("O2C_PARTNER_PASSWORD", ""),
            use_tls=env.get("O2C_PARTNER_TLS", "") in {"1", "true", "yes"},
            group=env.get("O2C_PARTNER_GROUP", ""),
            store=Path(env.get("O2C_PARTNER_STORE", "partner-orders.sqlite3")),
            topic_prefix=env.get("O2C_PARTNER_TOPIC_PREFIX", ""),
        )
