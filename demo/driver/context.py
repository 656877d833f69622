"""What every step of the demo shares: the seed, the HTTP client, the report, the kept ids, the people."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from driver.api import Api
from driver.report import Report
from driver.state import State

T = TypeVar("T")
R = TypeVar("R")


@dataclass
class Ctx:
    seed: dict[str, Any]
    api: Api
    report: Report
    state: State
    fast: bool = False
    people: dict[str, dict[str, Any]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.people = {p["user_id"]: p for p in self.seed["people"]}

    # --- who does what -----------------------------------------------------------------------------

    def person(self, role: str, warehouse: str | None = None, index: int = 0) -> str:
        """The seed's user id holding `role` (at `warehouse`, when given)."""
        found = [p["user_id"] for p in self.seed["people"] if role in p["roles"]
                 and (warehouse is None or warehouse in p.get("scope", {}).get("warehouses", []))]
        if not found:
            raise LookupError(f"the seed has no {role}" + (f" at {warehouse}" if warehouse else ""))
        chosen: str = found[min(index, len(found) - 1)]
        return chosen

    def name(self, user_id: str) -> str:
        p = self.people.get(user_id)
        return f"{p['name']} ({user_id})" if p else user_id

    def customer(self, seed_id: str) -> dict[str, Any]:
        return next(c for c in self.seed["customers"] if c["customer_id"] == seed_id)

    def customer_id(self, seed_id: str) -> str | None:
        """Sales' id for the seed's customer (kept from the run that created it)."""
        found = self.state.section("customers").get(seed_id)
        return found if isinstance(found, str) else None

    def warehouse(self, warehouse_id: str) -> dict[str, Any]:
        return next(w for w in self.seed["warehouses"] if w["warehouse_id"] == warehouse_id)


async def bounded(items: Iterable[T], work: Callable[[T], Awaitable[R]], limit: int = 24) -> list[R]:
    """Run `work` over `items` with at most `limit` at once; results in order."""
    gate = asyncio.Semaphore(limit)

    async def one(item: T) -> R:
        async with gate:
            return await work(item)

    return list(await asyncio.gather(*(one(i) for i in items)))
