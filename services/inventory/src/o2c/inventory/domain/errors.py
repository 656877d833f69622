"""Why an inventory rule refused something. Entry points map InvalidValue → 422 naming the field,
ConflictingState → 409; a shortage is never an error here, it is a visible backorder."""

from __future__ import annotations


class InventoryError(Exception):
    """Base of every refusal the inventory domain raises."""


class InvalidValue(InventoryError, ValueError):
    def __init__(self, field: str, detail: str) -> None:
        super().__init__(f"{field}: {detail}")
        self.field = field
        self.detail = detail


class ConflictingState(InventoryError):
    """The stock or reservation is not in a state that allows this (moving more than a bin holds, moving
    reserved stock, repeating a key with different figures)."""
