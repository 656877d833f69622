"""What every consuming service says when it parks or releases a key (issue 17).

A service that dead-letters a message parks its key: later messages of that key on the same topic wait
behind the dead letter until a person replays or discards it. Only that service's database knew; the
order page and the saga exceptions (sales) could not show a key parked in invoicing. Now each service
publishes `<Service>KeyParked` and `<Service>KeyReleased` on its own events topic, in the transaction that
parks or releases the key (outbox). One class per producing service, because a message type has exactly
one producer and one topic; the fields are the same for all of them (these bases).
"""

from __future__ import annotations

from typing import ClassVar

from o2c.contracts.envelope import Message
from pydantic import AwareDatetime, Field


class KeyParked(Message):
    """A message of `key` arriving on `topic` was dead-lettered in `service`; that key's later messages on
    that topic wait behind it until a person replays or discards dead letter `dead_letter_id`."""

    KEY_FIELD: ClassVar[str] = "key"

    key: str = Field(min_length=1, description="The parked record key: an order id, customer id or item code")
    service: str = Field(description="The service whose consumer parked the key")
    topic: str = Field(description="The topic the held messages arrive on (without an environment's prefix)")
    dead_letter_id: int = Field(description="The open dead letter at the head of the key, in that service")
    message_type: str | None = Field(default=None, description="Type of the dead-lettered message")
    reason: str = Field(max_length=1000, description="Why it was dead-lettered")
    parked_at: AwareDatetime


class KeyReleased(Message):
    """Dead letter `dead_letter_id` at the head of a parked key was replayed or discarded in `service`: the
    key's held messages ran (a held one that fails again parks the key anew, with a new KeyParked)."""

    KEY_FIELD: ClassVar[str] = "key"

    key: str = Field(min_length=1)
    service: str
    topic: str
    dead_letter_id: int
    resolution: str = Field(description="replayed | discarded")
    released_at: AwareDatetime


def parking_type_names(service: str) -> tuple[str, str]:
    """The KeyParked and KeyReleased type names a service publishes (`InvoicingKeyParked`, …)."""
    name = service.capitalize()
    return f"{name}KeyParked", f"{name}KeyReleased"
