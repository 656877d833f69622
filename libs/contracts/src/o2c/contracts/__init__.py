"""o2c's public face: every message between the services, its topic and its version.

Kept light on purpose (no message modules imported here): `o2c.contracts.catalog` for decoding,
`o2c.contracts.v1.<service>` for the messages, `o2c.contracts.topics` for the registry.
"""

from o2c.contracts.envelope import Envelope, Message
from o2c.contracts.errors import (
    ContractError,
    InvalidEnvelope,
    InvalidPayload,
    PublishNotAllowed,
    UnknownMessage,
    UnknownTopic,
)
from o2c.contracts.types import DecimalStr, Money, Quantity, Uqc

__all__ = [
    "ContractError",
    "DecimalStr",
    "Envelope",
    "InvalidEnvelope",
    "InvalidPayload",
    "Message",
    "Money",
    "PublishNotAllowed",
    "Quantity",
    "UnknownMessage",
    "UnknownTopic",
    "Uqc",
]
