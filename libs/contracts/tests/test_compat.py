"""The compatibility rule as a pure function over two JSON schemas: what may change within v1."""

from __future__ import annotations

import copy
from datetime import date
from enum import StrEnum
from typing import Any

from o2c.contracts.schemas import META, Violation, breaking_changes, compare_all
from o2c.contracts.types import Money, Quantity
from pydantic import BaseModel, Field


def schema(model: type[BaseModel]) -> dict[str, Any]:
    return model.model_json_schema(mode="validation")


def paths(found: list[Violation]) -> dict[str, str]:
    return {v.path: v.problem for v in found}


class Line(BaseModel):
    item_code: str
    quantity: Quantity
    amount: Money


class Colour(StrEnum):
    RED = "red"
    BLUE = "blue"


class Before(BaseModel):
    order_id: str
    total: Money
    lines: list[Line]
    note: str | None = None
    colour: Colour = Colour.RED
    due: date


def test_identical_schemas_are_compatible() -> None:
    assert breaking_changes(schema(Before), schema(Before)) == []


def test_an_added_optional_field_passes() -> None:
    class After(Before):
        channel: str | None = None
        tags: list[str] = Field(default_factory=list)

    assert breaking_changes(schema(Before), schema(After)) == []


def test_an_added_required_field_fails() -> None:
    class After(Before):
        warehouse_id: str

    found = paths(breaking_changes(schema(Before), schema(After)))
    assert list(found) == ["warehouse_id"]
    assert "new required field" in found["warehouse_id"]


def test_a_removed_field_fails() -> None:
    class After(BaseModel):
        order_id: str
        lines: list[Line]
        note: str | None = None
        colour: Colour = Colour.RED
        due: date

    found = paths(breaking_changes(schema(Before), schema(After)))
    assert list(found) == ["total"]
    assert "removed" in found["total"]


def test_a_retyped_field_fails_money_to_int() -> None:
    class After(Before):
        total: int  # type: ignore[assignment]

    found = paths(breaking_changes(schema(Before), schema(After)))
    assert found == {"total": "retyped from string to integer"}


def test_a_retyped_field_inside_a_nested_list_of_refs_fails() -> None:
    class LineAfter(BaseModel):
        item_code: str
        quantity: Quantity
        amount: float

    class After(Before):
        lines: list[LineAfter]  # type: ignore[assignment]

    found = paths(breaking_changes(schema(Before), schema(After)))
    assert found == {"lines[].amount": "retyped from string to number"}


def test_a_field_removed_from_a_nested_object_fails() -> None:
    old = schema(Before)
    new = copy.deepcopy(old)
    del new["$defs"]["Quantity"]["properties"]["unit"]
    new["$defs"]["Quantity"]["required"].remove("unit")
    assert set(paths(breaking_changes(old, new))) == {"lines[].quantity.unit"}


def test_an_optional_field_that_becomes_required_fails() -> None:
    class After(Before):
        note: str  # type: ignore[assignment]

    problems = [v.problem for v in breaking_changes(schema(Before), schema(After))]
    assert len(problems) == 2
    assert any("became required" in p for p in problems)
    assert any("no longer accepts null" in p for p in problems)


def test_a_field_that_becomes_nullable_fails_for_old_readers() -> None:
    class After(Before):
        order_id: str | None  # type: ignore[assignment]

    found = paths(breaking_changes(schema(Before), schema(After)))
    assert "may now be null" in found["order_id"]


def test_a_field_that_gains_a_default_passes() -> None:
    class After(Before):
        due: date = date(2026, 1, 1)

    assert breaking_changes(schema(Before), schema(After)) == []


def test_enum_changes_fail_both_ways() -> None:
    class Fewer(StrEnum):
        RED = "red"

    class More(StrEnum):
        RED = "red"
        BLUE = "blue"
        GREEN = "green"

    class AfterFewer(Before):
        colour: Fewer = Fewer.RED  # type: ignore[assignment]

    class AfterMore(Before):
        colour: More = More.RED  # type: ignore[assignment]

    assert "values removed ['blue']" in paths(breaking_changes(schema(Before), schema(AfterFewer)))["colour"]
    assert "values added ['green']" in paths(breaking_changes(schema(Before), schema(AfterMore)))["colour"]


def test_a_tightened_constraint_fails() -> None:
    class After(Before):
        lines: list[Line] = Field(min_length=1)

    assert "minItems tightened" in paths(breaking_changes(schema(Before), schema(After)))["lines"]


def test_refs_are_compared_by_structure_not_by_name() -> None:
    old = schema(Before)
    new = copy.deepcopy(old)
    new["$defs"]["OrderLine"] = new["$defs"].pop("Line")
    new["properties"]["lines"]["items"]["$ref"] = "#/$defs/OrderLine"
    assert breaking_changes(old, new) == []


def test_recursive_schemas_terminate() -> None:
    class Node(BaseModel):
        name: str
        children: list[Node] = Field(default_factory=list)

    assert breaking_changes(schema(Node), schema(Node)) == []


def test_moving_a_message_to_another_topic_or_key_fails() -> None:
    old = {**schema(Before), META: {"topic": "o2c.sales.events.v1", "key_field": "order_id"}}
    new = {**schema(Before), META: {"topic": "o2c.credit.events.v1", "key_field": "customer_id"}}
    assert set(paths(breaking_changes(old, new))) == {"<topic>", "<key_field>"}


def test_compare_all_reports_removed_types_and_lets_new_types_pass() -> None:
    before = {("A", 1): schema(Before), ("Gone", 1): schema(Line)}
    after = {("A", 1): schema(Before), ("New", 1): schema(Line)}
    report = compare_all(before, after)
    assert not report.ok
    assert list(report.violations) == [("Gone", 1)]
    assert report.new_types == [("New", 1)]
    assert compare_all({("A", 1): schema(Before)}, after).ok
