"""Which class reads which message: the registry of every (type, version), and decoding with a reason.

A consumer decodes with `decode(envelope)` (or `decode_bytes(record.value)`); a `ContractError` is
permanent (retrying cannot help), so the consumer dead-letters the record with `str(error)`.
"""

from __future__ import annotations

from types import ModuleType

from o2c.contracts.envelope import Envelope, Message
from o2c.contracts.errors import ContractError, InvalidEnvelope, InvalidPayload, UnknownMessage
from o2c.contracts.topics import Service
from o2c.contracts.v1 import credit, dispatch, ewaybill, inventory, invoicing, notify, partner, sales
from pydantic import ValidationError

__all__ = [
    "MESSAGES",
    "MODULES",
    "ContractError",
    "InvalidEnvelope",
    "InvalidPayload",
    "UnknownMessage",
    "decode",
    "decode_bytes",
    "message_class",
    "messages_of",
    "producer_of",
]

MODULES: dict[Service, tuple[ModuleType, ...]] = {
    Service.SALES: (sales,),
    Service.CREDIT: (credit,),
    Service.INVENTORY: (inventory,),
    Service.DISPATCH: (dispatch,),
    Service.INVOICING: (invoicing,),
    Service.EWAYBILL: (ewaybill,),
    Service.NOTIFY: (notify, partner),  # notify is the partner feed's only producer
}
"""Contract modules per producing service (a v2 module is appended beside its v1)."""


def _contracts_in(module: ModuleType) -> list[type[Message]]:
    """Concrete messages defined in a module: Message subclasses that set their own TYPE."""
    return [
        obj
        for obj in vars(module).values()
        if isinstance(obj, type)
        and issubclass(obj, Message)
        and obj.__module__ == module.__name__
        and "TYPE" in obj.__dict__
    ]


def _build() -> tuple[dict[tuple[str, int], type[Message]], dict[type[Message], Service]]:
    messages: dict[tuple[str, int], type[Message]] = {}
    producers: dict[type[Message], Service] = {}
    for service, modules in MODULES.items():
        for module in modules:
            for cls in _contracts_in(module):
                key = (cls.TYPE, cls.VERSION)
                if key in messages:
                    other = messages[key]
                    raise AssertionError(
                        f"duplicate message {key}: {other.__module__}.{other.__qualname__} "
                        f"and {cls.__module__}.{cls.__qualname__}"
                    )
                messages[key] = cls
                producers[cls] = service
    return dict(sorted(messages.items())), producers


MESSAGES: dict[tuple[str, int], type[Message]]
_PRODUCERS: dict[type[Message], Service]
MESSAGES, _PRODUCERS = _build()


def message_class(type_: str, version: int) -> type[Message]:
    """The class registered for (type, version), or `UnknownMessage`."""
    try:
        return MESSAGES[(type_, version)]
    except KeyError:
        raise UnknownMessage(type_, version) from None


def producer_of(message_cls: type[Message]) -> Service:
    """The service whose contract module defines this message (its only publisher)."""
    return _PRODUCERS[message_cls]


def messages_of(service: Service | str) -> list[type[Message]]:
    """Every registered message a service publishes."""
    return [cls for cls, producer in _PRODUCERS.items() if producer == Service(service)]


def decode(envelope: Envelope) -> Message:
    """The typed message inside an envelope. Raises `UnknownMessage` or `InvalidPayload`."""
    cls = message_class(envelope.type, envelope.version)
    if envelope.kind != cls.KIND:
        raise InvalidPayload(f"{envelope.type} v{envelope.version} is a {cls.KIND}, envelope says {envelope.kind}")
    try:
        return cls.model_validate(envelope.payload)
    except ValidationError as exc:
        raise InvalidPayload(f"{envelope.type} v{envelope.version}: {_summary(exc)}") from exc


def decode_bytes(raw: bytes) -> tuple[Envelope, Message]:
    """Envelope and message from a record value. Raises `InvalidEnvelope`, `UnknownMessage` or `InvalidPayload`."""
    try:
        envelope = Envelope.from_bytes(raw)
    except (ValueError, TypeError) as exc:  # json.JSONDecodeError and pydantic.ValidationError are ValueErrors
        detail = _summary(exc) if isinstance(exc, ValidationError) else str(exc)
        raise InvalidEnvelope(f"not an o2c envelope: {detail}") from exc
    return envelope, decode(envelope)


def _summary(exc: ValidationError, limit: int = 5) -> str:
    errors = exc.errors(include_url=False, include_input=False)
    parts = [f"{'.'.join(str(p) for p in e['loc']) or '<root>'}: {e['msg']}" for e in errors[:limit]]
    more = f" (+{len(errors) - limit} more)" if len(errors) > limit else ""
    return "; ".join(parts) + more
