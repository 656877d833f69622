"""Grouping one record's dead letters across services, and naming the record (issue 17)."""

from __future__ import annotations

import uuid

import pytest
from o2c.kit.problems import InvalidField
from o2c.sales.entrypoints.dead_letter_groups import RecordRef, grouped


def letter(i: int, offset: int, at: str, reason: str = "not an envelope") -> dict[str, object]:
    return {"id": i, "message_id": None, "topic": "o2c.dispatch.events.v1", "partition": 2, "offset": offset,
            "key": f"k{offset}", "type": None, "reason": reason, "error_class": "InvalidEnvelope", "attempts": 1,
            "failed_at": at}


def test_one_group_per_record_position_with_each_service_and_the_first_failure() -> None:
    groups = grouped([("sales", letter(4, 10, "2026-12-07T10:00:02")), ("notify", letter(9, 10, "2026-12-07T10:00:01")),
                      ("invoicing", letter(1, 11, "2026-12-07T10:00:03"))])
    assert [(g["group"], g["services"], g["first_failed_at"]) for g in groups] == [
        ("o2c.dispatch.events.v1/2/10", ["notify", "sales"], "2026-12-07T10:00:01"),
        ("o2c.dispatch.events.v1/2/11", ["invoicing"], "2026-12-07T10:00:03")]
    assert [(x["service"], x["dead_letter_id"]) for x in groups[0]["letters"]] == [("sales", 4), ("notify", 9)]


def test_a_record_is_named_by_its_whole_position_or_its_message_id() -> None:
    assert RecordRef(topic="t", partition=0, offset=5).filters() == {"topic": "t", "partition": 0, "offset": 5}
    mid = uuid.uuid4()
    assert RecordRef(message_id=mid).filters() == {"message_id": str(mid)}
    with pytest.raises(InvalidField, match="offset"):
        RecordRef(topic="t", partition=0).filters()
