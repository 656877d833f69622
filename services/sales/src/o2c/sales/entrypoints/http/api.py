"""What every sales route runs on, injected one way: `api: Api` (FastAPI `Depends` on the typed `SalesApi`,
built once per app from the kit's `Runtime`), plus the checks and translations the routes share.

A test swaps the wiring with `app.dependency_overrides[sales_api] = lambda: SalesApi(...)` (its own clock, or
a bootstrap with its own stock source: `dataclasses.replace(bootstrap(rt), stock=...)`).
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Annotated, TypeVar

from fastapi import Depends, Request
from o2c.kit.auth import Principal
from o2c.kit.problems import Conflict, InvalidField, NotFound, Problem
from o2c.kit.scope import CustomerScope, ensure_may_see
from o2c.kit.service import Runtime
from o2c.sales.adapters.unit_of_work import SqlUnitOfWork
from o2c.sales.bootstrap import Sales, bootstrap
from o2c.sales.domain.actors import Actor
from o2c.sales.domain.customer import Customer
from o2c.sales.domain.errors import InvalidValue, RuleViolation
from o2c.sales.domain.quotation import StockView
from o2c.sales.service_layer import customers, orders
from o2c.sales.service_layer.errors import ForbiddenError, NotFoundError
from o2c.sales.service_layer.ports import UnitOfWork
from o2c.sales.settings import SalesSettings


def wall_clock() -> datetime:
    return datetime.now(UTC)


@dataclass
class SalesApi:
    """The sales HTTP API's wiring: the service's bootstrap (units of work, settings, inventory's ATP, the facts
    the use cases need) and the clock."""

    sales: Sales
    clock: Callable[[], datetime] = field(default=wall_clock)

    @classmethod
    def of(cls, rt: Runtime) -> SalesApi:
        return cls(bootstrap(rt))

    @property
    def settings(self) -> SalesSettings:
        return self.sales.settings

    @property
    def setup(self) -> orders.Setup:
        return self.sales.setup

    def now(self) -> datetime:
        return self.clock()

    @contextlib.asynccontextmanager
    async def unit_of_work(self) -> AsyncIterator[SqlUnitOfWork]:
        """A write: one transaction; the use case's messages go to the outbox in it."""
        async with self.sales.transaction() as uow:
            with domain_errors():
                yield uow

    @contextlib.asynccontextmanager
    async def reading(self) -> AsyncIterator[SqlUnitOfWork]:
        async with self.sales.reading() as uow:
            with domain_errors():
                yield uow

    async def stock_for(self, request: Request, codes: Sequence[str]) -> StockView:
        """Inventory's availability of these items, asked with the caller's own token."""
        return await self.sales.stock.stock_view(codes, request.headers.get("authorization"))


T = TypeVar("T")


def once_per_app(request: Request, make: Callable[[Runtime], T], kind: type[T]) -> T:
    """What routes of one kind run on, made on the app's first request from the runtime the kit keeps on the app
    (`app.state.runtime`) and kept there. Called from coroutine dependencies, so on the event loop: two first
    requests cannot build two."""
    state = request.app.state
    name = f"o2c_{kind.__name__}"
    found = getattr(state, name, None)
    if not isinstance(found, kind):
        runtime = state.runtime
        if not isinstance(runtime, Runtime):
            raise TypeError("these routes need the app the kit builds (app.state.runtime)")
        found = make(runtime)
        setattr(state, name, found)
    return found


async def sales_api(request: Request) -> SalesApi:
    return once_per_app(request, SalesApi.of, SalesApi)


Api = Annotated[SalesApi, Depends(sales_api)]


def actor(p: Principal) -> Actor:
    return Actor(p.subject, frozenset(r.value for r in p.roles))


@contextlib.contextmanager
def domain_errors() -> Iterator[None]:
    """Domain and use-case refusals as problems: 422 naming the field, 404, 403, 409 with the reason."""
    try:
        yield
    except InvalidValue as exc:
        raise InvalidField(exc.field, exc.detail) from exc
    except NotFoundError as exc:
        raise NotFound(exc.what, exc.ident) from exc
    except ForbiddenError as exc:
        raise Problem(403, "Forbidden", exc.reason) from exc
    except RuleViolation as exc:
        raise Conflict(exc.reason) from exc


def ensure_scope(p: Principal, customer: Customer) -> None:
    """The kit's one scope rule on the master record itself: a customer login its own records, a coordinator
    with a `sales_owner` their customers, a partner the customers it serves."""
    ensure_may_see(p, customer.customer_id,
                   CustomerScope(customer.customer_id, customer.sales_owner, frozenset(customer.partner_ids)))


async def scoped_customer(uow: UnitOfWork, customer_id: str, who: Principal, *, lock: bool = False) -> Customer:
    """The customer, if the caller may see it (403 otherwise)."""
    customer = await customers.load_customer(uow, customer_id, lock=lock)
    ensure_scope(who, customer)
    return customer


async def scoped_order(api: SalesApi, order_id: str, who: Principal) -> None:
    """404 for an unknown order, 403 for one of a customer the caller may not see."""
    async with api.reading() as uow:
        order = await orders.load_order(uow, order_id)
        await scoped_customer(uow, order.customer_id, who)
