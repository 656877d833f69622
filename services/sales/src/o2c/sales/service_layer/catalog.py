"""Catalog use cases: items (in bulk), GST rates, price lists with negotiated prices, schemes."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import date, datetime

from o2c.contracts.v1 import sales
from o2c.sales.domain.catalog import Item, PriceEntry, Scheme
from o2c.sales.domain.errors import InvalidValue, RuleViolation
from o2c.sales.domain.tax import GstRate
from o2c.sales.service_layer.errors import NotFoundError
from o2c.sales.service_layer.facts import item_facts
from o2c.sales.service_layer.ports import ItemRecord, UnitOfWork


async def create_items(uow: UnitOfWork, items: Sequence[Item], at: datetime) -> list[Item]:
    """Items in one transaction (a catalogue of ~1,200 SKUs in one request); each published as ItemCreated."""
    codes = [i.code for i in items]
    duplicates = sorted({c for c in codes if codes.count(c) > 1})
    if duplicates:
        raise InvalidValue("items", f"item codes repeat in the request: {', '.join(duplicates[:10])}")
    existing = await uow.repo.get_items(codes)
    if existing:
        raise RuleViolation(f"items already exist: {', '.join(sorted(existing)[:10])}")
    rates = await uow.repo.gst_rates()
    facts = [item_facts(i, 1, rates, at) for i in items]  # refuses an HSN without a rate before writing
    await uow.repo.add_items(items, at)
    uow.publish(*(sales.ItemCreated(**f, created_at=at) for f in facts))
    return list(items)


async def update_item(uow: UnitOfWork, code: str, changes: dict[str, object], at: datetime) -> ItemRecord:
    record = (await uow.repo.get_items([code])).get(code)
    if record is None:
        raise NotFoundError("item", code)
    before = record.item
    updated = replace(before, **changes)  # type: ignore[arg-type]  # validated by Item.__post_init__
    changed = sorted(k for k in changes if getattr(before, k) != getattr(updated, k))
    if not changed:
        return record
    record = ItemRecord(updated, record.revision + 1)
    await uow.repo.save_item(record, at)
    rates = await uow.repo.gst_rates()
    uow.publish(sales.ItemUpdated(**item_facts(updated, record.revision, rates, at), updated_at=at,
                                  changed_fields=changed))
    return record


async def add_gst_rate(uow: UnitOfWork, rate: GstRate, at: datetime) -> int:
    """Sales' rate master holds the rate (a new version when the same rate is set again), and says so on the
    compacted rate topic for the replicas (invoicing); returns the version."""
    version = await uow.repo.add_gst_rate(rate)
    uow.publish(gst_rate_recorded(rate, version, at))
    return version


async def publish_rate_master(uow: UnitOfWork, at: datetime, limit: int = 500) -> int:
    """Publish every rate whose current version has not gone out yet (the history a migration brought in, or a
    database restored from a backup); the compacted topic keeps one record per rate, so a repeat is harmless."""
    pending = await uow.repo.unpublished_gst_rates(limit)
    uow.publish(*(gst_rate_recorded(rate, version, at) for rate, version in pending))
    await uow.repo.mark_gst_rates_published(pending)
    return len(pending)


def gst_rate_recorded(rate: GstRate, version: int, at: datetime) -> sales.GstRateRecorded:
    return sales.GstRateRecorded(
        rate_id=f"{rate.hsn_prefix}@{rate.effective_from.isoformat()}", hsn_prefix=rate.hsn_prefix,
        effective_from=rate.effective_from, effective_to=rate.effective_to, rate=rate.rate,
        cess_rate=rate.cess_rate, description=rate.description, version=version, set_at=at,
    )


async def create_price_list(uow: UnitOfWork, code: str, name: str, entries: Sequence[PriceEntry]) -> None:
    if await uow.repo.price_list(code, []) is not None:
        raise RuleViolation(f"price list {code} already exists")
    await uow.repo.add_price_list(code, name)
    await add_prices(uow, code, entries)


async def add_prices(uow: UnitOfWork, price_list_code: str, entries: Sequence[PriceEntry]) -> int:
    """Standard prices (no customer) and negotiated prices (with customer); overlapping validity refused."""
    codes = sorted({e.item_code for e in entries})
    price_list = await uow.repo.price_list(price_list_code, codes)
    if price_list is None:
        raise NotFoundError("price list", price_list_code)
    known = await uow.repo.get_items(codes)
    for index, entry in enumerate(entries):
        if entry.item_code not in known:
            raise InvalidValue(f"entries[{index}].item_code", f"no item {entry.item_code!r}", entry.item_code)
        if entry.customer_id is not None and await uow.repo.get_customer(entry.customer_id) is None:
            raise InvalidValue(f"entries[{index}].customer_id", f"no customer {entry.customer_id!r}")
        price_list.add(entry)  # raises on an overlap with a stored or an earlier entry
    await uow.repo.add_prices(price_list_code, entries)
    return len(entries)


async def end_price(uow: UnitOfWork, price_list_code: str, item_code: str, customer_id: str | None,
                    valid_from: date, valid_to: date, by: str, at: datetime, reason: str) -> PriceEntry:
    """A price (standard or negotiated) ends on `valid_to`: a new price can then follow it. Only earlier than
    an end already set, never before the price began."""
    price_list = await uow.repo.price_list(price_list_code, [item_code])
    if price_list is None:
        raise NotFoundError("price list", price_list_code)
    found = [e for e in price_list.entries
             if e.item_code == item_code and e.customer_id == customer_id and e.valid_from == valid_from]
    if not found:
        raise NotFoundError("price", f"{item_code} from {valid_from} in {price_list_code}")
    entry = found[0]
    if valid_to < entry.valid_from:
        raise InvalidValue("valid_to", f"must not be before valid_from ({entry.valid_from})", valid_to)
    if entry.valid_to is not None and valid_to > entry.valid_to:
        raise InvalidValue("valid_to", f"the price already ends on {entry.valid_to}; it can only end earlier",
                           valid_to)
    await uow.repo.end_price(price_list_code, entry, valid_to, by, at, reason)
    return replace(entry, valid_to=valid_to)


async def create_scheme(uow: UnitOfWork, scheme: Scheme) -> None:
    book = await uow.repo.schemes()
    book.add(scheme)  # refuses a repeated code
    await uow.repo.add_scheme(scheme)
