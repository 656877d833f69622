"""o2c's public face: every message between the services, its topic and its version."""

from o2c.contracts.envelope import Envelope, Message
from o2c.contracts.types import DecimalStr, Money, Quantity, Uqc

__all__ = ["DecimalStr", "Envelope", "Message", "Money", "Quantity", "Uqc"]
