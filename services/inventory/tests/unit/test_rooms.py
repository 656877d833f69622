"""Inventory's rooms import in one direction: the domain nothing of I/O, the use cases no SQL and no adapter
(only their ports), the adapters no use case (only ports and the domain)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "src" / "o2c" / "inventory"


def imports_of(room: str) -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for path in sorted((PACKAGE / room).rglob("*.py")):
        names: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                names |= {alias.name for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.module:
                names.add(node.module)
        found[path.name] = names
    return found


@pytest.mark.parametrize(("room", "forbidden"), [
    ("domain", ("sqlalchemy", "sqlmodel", "fastapi", "faststream", "aiokafka", "redis", "o2c.kit",
                "o2c.inventory.adapters", "o2c.inventory.service_layer", "o2c.inventory.entrypoints")),
    ("service_layer", ("sqlalchemy", "sqlmodel", "fastapi", "o2c.inventory.adapters", "o2c.inventory.entrypoints",
                       "o2c.inventory.bootstrap")),
    ("adapters", ("o2c.inventory.service_layer.orders", "o2c.inventory.service_layer.stock",
                  "o2c.inventory.service_layer.places", "o2c.inventory.entrypoints", "o2c.inventory.bootstrap")),
])
def test_a_room_never_imports_what_lies_outside_it(room: str, forbidden: tuple[str, ...]) -> None:
    offending = {module: sorted(n for n in names if n.startswith(forbidden))
                 for module, names in imports_of(room).items()}
    assert {m: names for m, names in offending.items() if names} == {}
    assert imports_of(room)  # the room exists and was read


def test_the_adapters_reach_the_use_cases_only_through_their_ports() -> None:
    reached = {n for names in imports_of("adapters").values() for n in names if "service_layer" in n}
    assert reached == {"o2c.inventory.service_layer.ports"}
