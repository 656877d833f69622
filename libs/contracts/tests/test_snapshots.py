"""The committed artefacts are current: schema snapshots, docs/asyncapi.json and docs/asyncapi-partner.json; the
CLI check fails on a retyped field."""

from __future__ import annotations

import io
import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

from o2c.contracts import asyncapi
from o2c.contracts.catalog import MESSAGES, decode
from o2c.contracts.envelope import Envelope
from o2c.contracts.schemas import (
    SCHEMA_DIR,
    breaking_changes,
    check,
    compare_all,
    current_schemas,
    load_snapshots,
    schema_of,
    snapshot_path,
    write,
)
from o2c.contracts.topics import PARTNER_TOPIC, TOPICS
from o2c.contracts.v1 import credit

REPO = Path(__file__).resolve().parents[3]


def test_every_message_has_a_committed_snapshot_and_all_are_current() -> None:
    report = compare_all(load_snapshots(SCHEMA_DIR), current_schemas())
    assert report.ok, report.violations
    assert report.new_types == [], "run: python -m o2c.contracts.schemas write"
    assert report.changed == [], "run: python -m o2c.contracts.schemas write"
    assert len(list(SCHEMA_DIR.glob("v1/*.json"))) == len(MESSAGES)


def test_the_check_cli_passes_against_the_committed_snapshots() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "o2c.contracts.schemas", "check"], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "0 breaking change(s)" in done.stdout


def test_retyping_a_field_fails_the_check(tmp_path: Path) -> None:
    """As if ReceivablePosted.amount had been Money and someone made it an int: the check exits 1."""
    snapshots = tmp_path / "schemas"
    shutil.copytree(SCHEMA_DIR, snapshots)
    path = snapshot_path(snapshots, "ReceivablePosted", 1)
    committed = json.loads(path.read_text())
    committed["properties"]["amount"] = {"type": "integer", "title": "Amount"}
    path.write_text(json.dumps(committed))

    out = io.StringIO()
    assert check(snapshots, out) == 1
    assert "BREAKING ReceivablePosted v1: amount: retyped from integer to string" in out.getvalue()
    assert write(snapshots, out=out) == 1  # refuses to paper over it
    assert json.loads(path.read_text())["properties"]["amount"]["type"] == "integer"


def test_a_retyped_model_is_caught_against_its_committed_snapshot() -> None:
    class ReceivablePostedRetyped(credit.ReceivablePosted):
        amount: int  # type: ignore[assignment]

    committed = json.loads(snapshot_path(SCHEMA_DIR, "ReceivablePosted", 1).read_text())
    retyped = {**ReceivablePostedRetyped.model_json_schema(), "x-o2c": committed["x-o2c"]}
    assert [str(v) for v in breaking_changes(committed, retyped)] == ["amount: retyped from string to integer"]
    assert breaking_changes(committed, schema_of(credit.ReceivablePosted)) == []


def test_write_then_check_round_trips_in_an_empty_directory(tmp_path: Path) -> None:
    out = io.StringIO()
    assert write(tmp_path, out=out) == 0
    assert check(tmp_path, out) == 0
    assert load_snapshots(tmp_path) == load_snapshots(SCHEMA_DIR)


# --- AsyncAPI -------------------------------------------------------------------------------------


def _resolve(doc: dict[str, Any], ref: str) -> Any:
    node: Any = doc
    for part in ref.removeprefix("#/").split("/"):
        node = node[part]
    return node


def _refs(node: Any) -> list[str]:
    if isinstance(node, dict):
        own = [node["$ref"]] if isinstance(node.get("$ref"), str) else []
        return own + [r for v in node.values() for r in _refs(v)]
    if isinstance(node, list):
        return [r for v in node for r in _refs(v)]
    return []


def test_the_committed_asyncapi_document_is_current() -> None:
    committed = (REPO / "docs" / "asyncapi.json").read_text()
    assert committed == asyncapi.render(), "run: python -m o2c.contracts.asyncapi > docs/asyncapi.json"


def test_the_asyncapi_document_covers_every_topic_and_message_and_its_refs_resolve() -> None:
    doc = asyncapi.document()
    assert doc["asyncapi"] == "3.0.0"
    assert {c["address"] for c in doc["channels"].values()} == {*TOPICS, PARTNER_TOPIC}
    assert set(MESSAGES) <= {(m["name"], 1) for m in doc["components"]["messages"].values()} | {("DeadLetter", 1)}
    for ref in _refs(doc):
        assert _resolve(doc, ref) is not None, ref
    for op in doc["operations"].values():
        channel = _resolve(doc, op["channel"]["$ref"])
        for ref in op["messages"]:
            assert ref["$ref"].startswith(op["channel"]["$ref"] + "/messages/")
        if op["action"] == "send":
            assert op["title"].startswith(channel["x-o2c-producer"] + " ")
    senders = [op for op in doc["operations"].values() if op["action"] == "send"]
    assert len(senders) == len(TOPICS) + 1  # exactly one producer per topic (and for the partner topics)


def test_the_committed_partner_asyncapi_document_is_current() -> None:
    committed = (REPO / "docs" / "asyncapi-partner.json").read_text()
    assert committed == asyncapi.render(partner=True), (
        "run: python -m o2c.contracts.asyncapi --partner > docs/asyncapi-partner.json")


def test_the_partner_document_shows_partners_their_feed_and_scram_and_nothing_internal() -> None:
    doc = asyncapi.partner_document()
    assert [c["address"] for c in doc["channels"].values()] == [PARTNER_TOPIC]
    partner_types = {t for (t, _), cls in MESSAGES.items() if cls.TOPIC == PARTNER_TOPIC}
    assert set(doc["components"]["messages"]) == partner_types
    assert [op["action"] for op in doc["operations"].values()] == ["receive"]
    assert doc["components"]["securitySchemes"]["scram"]["type"] == "scramSha512"
    assert all(server["security"] for server in doc["servers"].values())
    for ref in _refs(doc):
        assert _resolve(doc, ref) is not None, ref
    # Nothing the partner's customers may not see travels in the feed's schemas.
    fields = _property_names(doc["components"]["schemas"])
    assert "order_id" in fields and "invoice_no" in fields
    for name in fields:
        for secret in ("credit", "exposure", "limit", "warehouse", "allocation", "bin", "batch", "gstin", "hold",
                       "contact", "email", "phone", "request_id", "shipment_id", "invoice_id"):
            assert secret not in name, name


def _property_names(node: Any) -> set[str]:
    found: set[str] = set()
    if isinstance(node, dict):
        found |= set(node.get("properties", {}))
        for value in node.values():
            found |= _property_names(value)
    elif isinstance(node, list):
        for value in node:
            found |= _property_names(value)
    return found


def test_every_asyncapi_example_is_a_valid_envelope_of_its_message() -> None:
    doc = asyncapi.document()
    for name, message in doc["components"]["messages"].items():
        if name == "DeadLetter":
            continue
        example = message["examples"][0]
        envelope = Envelope.model_validate(example["payload"])
        assert type(decode(envelope)).__name__ == name
        assert example["headers"]["o2c-type"] == name


def test_docs_contracts_md_lists_every_events_and_commands_topic() -> None:
    text = (REPO / "docs" / "contracts.md").read_text()
    for spec in TOPICS.values():
        if spec.kind != "deadletter":
            assert f"`{spec.name}`" in text, spec.name
