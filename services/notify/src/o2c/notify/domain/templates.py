"""Message templates as data, per message kind and language, rendered to subject and body text.

Placeholders are `$name` (string.Template); a template naming a field the message does not supply
is refused, never sent with a hole in it."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from string import Template

DEFAULT_LANGUAGE = "en"


class MessageKind(StrEnum):
    DISPATCHED = "dispatched"
    CREDIT_HOLD = "credit_hold"
    ORDER_REJECTED = "order_rejected"
    BACKORDERED = "backordered"
    ORDER_CANCELLED = "order_cancelled"
    PAYMENT_RECEIVED = "payment_received"


class TemplateProblem(ValueError):
    """A template that cannot be rendered: unknown kind or language, or a field the message lacks."""


@dataclass(frozen=True, slots=True)
class MessageTemplate:
    kind: MessageKind
    language: str
    subject: str
    body: str

    def placeholders(self) -> frozenset[str]:
        names: set[str] = set()
        for text in (self.subject, self.body):
            for found in Template.pattern.finditer(text):
                name = found.group("named") or found.group("braced")
                if name:
                    names.add(name)
        return frozenset(names)


@dataclass(frozen=True, slots=True)
class RenderedMessage:
    kind: MessageKind
    language: str
    subject: str
    body: str


class TemplateBook:
    """The templates in force; the service loads them from seed data or its database."""

    def __init__(self, templates: Iterable[MessageTemplate]) -> None:
        self._templates: dict[tuple[MessageKind, str], MessageTemplate] = {}
        for template in templates:
            key = (template.kind, template.language)
            if key in self._templates:
                raise TemplateProblem(f"two templates for {template.kind.value} in {template.language!r}")
            self._templates[key] = template

    def template_for(self, kind: MessageKind, language: str = DEFAULT_LANGUAGE) -> MessageTemplate:
        """The template in the customer's language, else English."""
        found = self._templates.get((kind, language)) or self._templates.get((kind, DEFAULT_LANGUAGE))
        if found is None:
            raise TemplateProblem(f"no template for {kind.value}")
        return found


def render(template: MessageTemplate, fields: Mapping[str, str]) -> RenderedMessage:
    missing = template.placeholders() - fields.keys()
    if missing:
        raise TemplateProblem(f"template {template.kind.value}/{template.language} needs {', '.join(sorted(missing))}")
    return RenderedMessage(
        kind=template.kind,
        language=template.language,
        subject=Template(template.subject).substitute(fields).strip(),
        body=Template(template.body).substitute(fields).strip() + "\n",
    )
