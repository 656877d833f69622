"""Why a message or a publish was refused: one exception per reason, so a consumer can dead-letter with it."""

from __future__ import annotations


class ContractError(Exception):
    """A message that cannot pass on retry: the consumer dead-letters it with `str(error)` as the reason."""

    reason: str = "contract"


class InvalidEnvelope(ContractError):
    """The record value is not an o2c envelope (not JSON, or required envelope fields missing)."""

    reason = "invalid-envelope"


class UnknownMessage(ContractError):
    """No contract is registered for this (type, version)."""

    reason = "unknown-message"

    def __init__(self, type_: str, version: int) -> None:
        super().__init__(f"no contract registered for {type_} v{version}")
        self.type = type_
        self.version = version


class InvalidPayload(ContractError):
    """The payload does not validate against the registered contract."""

    reason = "invalid-payload"


class UnknownTopic(ContractError):
    """A topic name that the registry does not declare."""

    reason = "unknown-topic"


class PublishNotAllowed(ContractError):
    """A service tried to publish on a topic another service owns."""

    reason = "publish-not-allowed"
