"""Telling partner systems (issue 22): an order event of a customer that partners serve becomes the partner
statuses of the feed, sent to each of those partners' own topic in the transaction that handles the event (the
outbox beside the inbox: once per event, in the order the events are handled, keyed by order id).

Which partners serve a customer is the sales head's binding on the customer master (`partner_ids`, kept from
CustomerApproved/CustomerUpdated). A partner's topic is made by the SRE's onboarding step, never by notify: until
it exists the partner is skipped (a status to a missing topic would hold every later message of notify's outbox).
"""

from __future__ import annotations

import logging
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Protocol

from o2c.contracts.envelope import Message
from o2c.contracts.topics import is_partner_name
from o2c.contracts.v1.partner import PartnerStatus
from o2c.notify.domain.delivery import TransitTable
from o2c.notify.domain.partner_feed import partner_statuses

log = logging.getLogger("o2c.notify.partner_feed")
_warned: set[str] = set()
"""Partners already reported as bound but not onboarded (once per process: every event of theirs would repeat it)."""


class PartnerBindings(Protocol):
    async def partners_of(self, customer_id: str) -> Collection[str]:
        """The partners the sales head named for this customer (none when the customer is unknown)."""
        ...


class PartnerTopics(Protocol):
    async def onboarded(self, partner: str) -> bool:
        """Does this partner's order-status topic exist (the SRE onboarded the partner)?"""
        ...


class PartnerFeed(Protocol):
    async def publish(self, partner: str, statuses: Sequence[PartnerStatus]) -> None:
        """Add the statuses, in order, to the partner's topic within the handling transaction."""
        ...


@dataclass(frozen=True)
class PartnersTold:
    told: tuple[str, ...] = ()
    not_onboarded: tuple[str, ...] = ()
    statuses: tuple[PartnerStatus, ...] = ()


async def tell_partners(event: Message, *, bindings: PartnerBindings, topics: PartnerTopics, feed: PartnerFeed,
                        transit: TransitTable = TransitTable()) -> PartnersTold:
    statuses = partner_statuses(event, transit)
    if not statuses:
        return PartnersTold()
    told: list[str] = []
    waiting: list[str] = []
    for partner in sorted(await bindings.partners_of(statuses[0].customer_id)):
        if not is_partner_name(partner):  # bound before names had to name a topic: nothing to send it on
            log.warning("partner %r of customer %s cannot name a topic: not told", partner, statuses[0].customer_id)
            continue
        if not await topics.onboarded(partner):
            waiting.append(partner)
            continue
        await feed.publish(partner, statuses)
        told.append(partner)
    if unreported := [p for p in waiting if p not in _warned]:
        _warned.update(unreported)
        log.warning("partners %s serve customer %s but have no topic (not onboarded): they are told nothing until "
                    "the SRE onboards them", ", ".join(unreported), statuses[0].customer_id)
    return PartnersTold(tuple(told), tuple(waiting), tuple(statuses))
