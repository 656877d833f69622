"""Refusals of the use cases that are not domain rules."""

from __future__ import annotations


class UnknownShipment(LookupError):
    def __init__(self, what: str, ident: str) -> None:
        super().__init__(f"{what} {ident} does not exist")
        self.what, self.ident = what, ident
