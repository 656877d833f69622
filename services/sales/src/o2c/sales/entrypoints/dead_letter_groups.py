"""One record's dead letters across the services that read it, resolved with one action (issue 17).

An undecodable record on a topic six services read makes a dead letter in each of them. Sales (which serves
the console) groups the open dead letters of every service by the record's position (topic, partition,
offset), and discards or replays a whole group with one call: it asks each service's own admin API with the
caller's own bearer token (each service's policy still applies), so sales writes nobody else's data.
"""

from __future__ import annotations

import asyncio
import uuid
from typing import Annotated, Any

import httpx
from fastapi import APIRouter, Depends, Request
from o2c.kit.auth import Principal
from o2c.kit.edge import RequestModel
from o2c.kit.http import CLIENT_KEEPALIVE_SECONDS
from o2c.kit.messaging.dead_letters import discard_dead_letter, list_dead_letters, replay_dead_letter
from o2c.kit.policy import allow
from o2c.kit.problems import InvalidField, NotFound, Problem
from o2c.kit.service import Runtime
from o2c.sales.bootstrap import bootstrap
from o2c.sales.entrypoints.http.api import once_per_app
from pydantic import Field

GroupReader = Annotated[Principal, Depends(allow("sales.dead-letter-group.read"))]
GroupResolver = Annotated[Principal, Depends(allow("sales.dead-letter-group.resolve"))]

SALES = "sales"


class RecordRef(RequestModel):
    """One record: its position, or its message id (an undecodable record has none)."""

    topic: str | None = Field(default=None, min_length=1, max_length=249, pattern=r"^[a-zA-Z0-9._-]+$")
    partition: int | None = Field(default=None, ge=0, le=100_000)
    offset: int | None = Field(default=None, ge=0, le=2**63 - 1)
    message_id: uuid.UUID | None = None
    reason: str = Field(default="", max_length=1000)

    def filters(self) -> dict[str, Any]:
        position = (self.topic, self.partition, self.offset)
        if self.message_id is None and None in position:
            missing = ("topic", "partition", "offset")[position.index(None)]
            raise InvalidField(missing, "name the record by topic, partition and offset, or by message_id")
        found = {"topic": self.topic, "partition": self.partition, "offset": self.offset,
                 "message_id": str(self.message_id) if self.message_id else None}
        return {k: v for k, v in found.items() if v is not None}


class Discard(RecordRef):
    reason: str = Field(min_length=1, max_length=1000, description="Why the record needs no effect anywhere")


def group_of(letter: dict[str, Any]) -> str:
    return f"{letter['topic']}/{letter['partition']}/{letter['offset']}"


def grouped(letters: list[tuple[str, dict[str, Any]]]) -> list[dict[str, Any]]:
    """(service, dead letter) pairs → one entry per record position, oldest failure first."""
    groups: dict[str, dict[str, Any]] = {}
    for service, d in letters:
        g = groups.setdefault(group_of(d), {
            "group": group_of(d), "topic": d["topic"], "partition": d["partition"], "offset": d["offset"],
            "message_id": d["message_id"], "key": d["key"], "type": d["type"], "first_failed_at": d["failed_at"],
            "letters": []})
        g["letters"].append({"service": service, "dead_letter_id": d["id"], "reason": d["reason"],
                             "error_class": d["error_class"], "attempts": d["attempts"], "failed_at": d["failed_at"]})
        g["first_failed_at"] = min(g["first_failed_at"], d["failed_at"])
    for g in groups.values():
        g["services"] = sorted(x["service"] for x in g["letters"])
    return sorted(groups.values(), key=lambda g: (g["first_failed_at"], g["group"]))


class DeadLetterGroups:
    """What the routes run on: the runtime (sales' own consumer), the bootstrap (sales' own dead letters, read on
    its unit of work) and a client per other service's admin API."""

    def __init__(self, rt: Runtime) -> None:
        self.rt = rt
        self.sales = bootstrap(rt)
        self.urls = self.sales.settings.service_urls()
        self._clients: dict[str, httpx.AsyncClient] = {}

    def client(self, service: str) -> httpx.AsyncClient:
        if service not in self._clients:
            self._clients[service] = httpx.AsyncClient(
                base_url=self.urls[service], timeout=10.0,
                limits=httpx.Limits(keepalive_expiry=CLIENT_KEEPALIVE_SECONDS))
        return self._clients[service]

    def own_consumer(self) -> Any:
        if self.rt.consumer is None:
            raise Problem(409, "Conflict", "sales consumes no topics here")
        return self.rt.consumer

    async def letters_of(self, service: str, bearer: str, filters: dict[str, Any]) -> list[dict[str, Any]]:
        """Open dead letters of one service (its own admin API, the caller's token)."""
        if service == SALES:
            async with self.sales.reading() as uow:
                return await list_dead_letters(uow.session, "open", 500, **filters)
        response = await self.client(service).get("/admin/dead-letters", headers={"Authorization": bearer},
                                                  params={"status": "open", "limit": 500, **filters})
        if response.status_code != 200:
            raise Problem(502, "Bad gateway", f"{service}: {response.status_code} {response.text[:200]}")
        found: list[dict[str, Any]] = response.json()
        return found

    async def everywhere(self, bearer: str, filters: dict[str, Any]
                         ) -> tuple[list[tuple[str, dict[str, Any]]], list[dict[str, str]]]:
        services = [SALES, *self.urls]

        async def one(service: str) -> list[dict[str, Any]] | str:
            try:
                return await self.letters_of(service, bearer, filters)
            except (httpx.HTTPError, Problem) as exc:
                return f"{type(exc).__name__}: {exc}"[:300]

        answers = await asyncio.gather(*(one(s) for s in services))
        letters = [(s, d) for s, a in zip(services, answers, strict=True) if isinstance(a, list) for d in a]
        unreachable = [{"service": s, "detail": a} for s, a in zip(services, answers, strict=True)
                       if isinstance(a, str)]
        return letters, unreachable

    async def resolve(self, service: str, dead_letter_id: int, verb: str, reason: str, who: Principal,
                      bearer: str) -> list[dict[str, Any]]:
        if service == SALES:
            try:
                if verb == "discard":
                    outcomes = await discard_dead_letter(self.own_consumer(), dead_letter_id, who.subject, reason)
                else:
                    outcomes = await replay_dead_letter(self.own_consumer(), dead_letter_id, who.subject)
            except Problem as problem:
                return [{"service": service, "dead_letter_id": dead_letter_id, "status": "failed",
                         "detail": problem.detail}]
            return [{"service": service, **o.__dict__} for o in outcomes]
        try:
            response = await self.client(service).post(
                f"/admin/dead-letters/{dead_letter_id}/{verb}", headers={"Authorization": bearer},
                json={"reason": reason} if verb == "discard" else None)
        except httpx.HTTPError as exc:
            return [{"service": service, "dead_letter_id": dead_letter_id, "status": "failed",
                     "detail": f"{type(exc).__name__}: {exc}"[:300]}]
        if response.status_code != 200:
            return [{"service": service, "dead_letter_id": dead_letter_id, "status": "failed",
                     "detail": f"{response.status_code}: {response.text[:300]}"}]
        return [{"service": service, **o} for o in response.json()]

    async def act(self, verb: str, body: RecordRef, who: Principal, request: Request) -> dict[str, Any]:
        filters = body.filters()
        bearer = request.headers.get("authorization", "")
        letters, unreachable = await self.everywhere(bearer, filters)
        if not letters:
            if unreachable:
                raise Problem(503, "Service unavailable", "no open dead letter found, and some services did not "
                              "answer", unreachable=unreachable)
            raise NotFound("open dead letter of record", " ".join(f"{k}={v}" for k, v in filters.items()))
        outcomes = await asyncio.gather(*(self.resolve(s, int(d["id"]), verb, body.reason, who, bearer)
                                          for s, d in letters))
        return {"groups": grouped(letters), "outcomes": [o for one in outcomes for o in one],
                "unreachable": unreachable}


async def dead_letter_groups(request: Request) -> DeadLetterGroups:
    return once_per_app(request, DeadLetterGroups, DeadLetterGroups)


Groups = Annotated[DeadLetterGroups, Depends(dead_letter_groups)]

router = APIRouter(prefix="/dead-letter-groups", tags=["admin"])


@router.get("", summary="Open dead letters of every service, one group per record (topic/partition/offset)")
async def get_groups(who: GroupReader, request: Request, groups: Groups) -> dict[str, Any]:
    letters, unreachable = await groups.everywhere(request.headers.get("authorization", ""), {})
    return {"groups": grouped(letters), "unreachable": unreachable}


@router.post("/discard", summary="Discard every open dead letter of one record, in every service, with a reason")
async def discard(body: Discard, who: GroupResolver, request: Request, groups: Groups) -> dict[str, Any]:
    return await groups.act("discard", body, who, request)


@router.post("/replay", summary="Replay every open dead letter of one record, in every service that holds one")
async def replay(body: RecordRef, who: GroupResolver, request: Request, groups: Groups) -> dict[str, Any]:
    return await groups.act("replay", body, who, request)
