"""JSON Schema snapshots of every message, and the compatibility check that guards them.

    python -m o2c.contracts.schemas write   # (re)write libs/contracts/schemas/v<N>/<Type>.json
    python -m o2c.contracts.schemas check   # compare the models with the committed snapshots

The rule within a major version is additive: a new message type or a new optional field passes; a
removed field, a retyped field, a new required field, a changed enum, topic or key fails. A breaking
change is a new major version (`VERSION = 2`, topic `.v2`) run side by side with v1.

`breaking_changes(old, new)` is a pure function over two JSON schemas, so it is tested without files.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from o2c.contracts.envelope import Message

SCHEMA_DIR = Path(__file__).resolve().parents[3] / "schemas"
"""libs/contracts/schemas in the work tree (the committed snapshots)."""

META = "x-o2c"
DIALECT = "https://json-schema.org/draft/2020-12/schema"

JsonSchema = Mapping[str, Any]


# --- building schemas ----------------------------------------------------------------------------


def schema_of(message_cls: type[Message]) -> dict[str, Any]:
    """The snapshot of one message: its validation-mode JSON Schema (what a reader accepts) with the
    routing facts under `x-o2c`."""
    from o2c.contracts.catalog import producer_of

    schema: dict[str, Any] = {"$schema": DIALECT, **message_cls.model_json_schema(mode="validation")}
    schema[META] = {
        "type": message_cls.TYPE,
        "version": message_cls.VERSION,
        "kind": message_cls.KIND,
        "topic": message_cls.TOPIC,
        "key_field": message_cls.KEY_FIELD,
        "producer": producer_of(message_cls).value,
    }
    return schema


def current_schemas() -> dict[tuple[str, int], dict[str, Any]]:
    from o2c.contracts.catalog import MESSAGES

    return {key: schema_of(cls) for key, cls in MESSAGES.items()}


def snapshot_path(directory: Path, type_: str, version: int) -> Path:
    return directory / f"v{version}" / f"{type_}.json"


def load_snapshots(directory: Path) -> dict[tuple[str, int], dict[str, Any]]:
    found: dict[tuple[str, int], dict[str, Any]] = {}
    for path in sorted(directory.glob("v*/*.json")):
        version = int(path.parent.name.removeprefix("v"))
        found[(path.stem, version)] = json.loads(path.read_text())
    return found


def dumps(schema: Mapping[str, Any]) -> str:
    return json.dumps(schema, indent=2, ensure_ascii=False) + "\n"


# --- the compatibility rule ----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Violation:
    """One breaking difference, at a dotted path inside the payload (`lines[].quantity.unit`)."""

    path: str
    problem: str

    def __str__(self) -> str:
        return f"{self.path or '<payload>'}: {self.problem}"


_NULL = {"type": "null"}
_TIGHTER_IF_LARGER = ("minimum", "exclusiveMinimum", "minLength", "minItems", "minProperties")
_TIGHTER_IF_SMALLER = ("maximum", "exclusiveMaximum", "maxLength", "maxItems", "maxProperties")


class _Side:
    """One schema document, able to resolve its local `$ref`s (`#/$defs/…`, `#/definitions/…`, any pointer)."""

    def __init__(self, root: JsonSchema) -> None:
        self.root = root

    def deref(self, node: JsonSchema, seen: frozenset[str] = frozenset()) -> tuple[JsonSchema, frozenset[str]]:
        """Follow `$ref` (keeping sibling keywords) and single-element `allOf` wrappers."""
        while True:
            if "$ref" in node:
                ref = node["$ref"]
                if ref in seen:
                    return {"$recursive": ref}, seen
                seen = seen | {ref}
                target = self._pointer(ref)
                siblings = {k: v for k, v in node.items() if k != "$ref"}
                node = {**target, **siblings}
                continue
            all_of = node.get("allOf")
            if isinstance(all_of, list) and len(all_of) == 1:
                siblings = {k: v for k, v in node.items() if k != "allOf"}
                node = {**all_of[0], **siblings}
                continue
            return node, seen

    def _pointer(self, ref: str) -> JsonSchema:
        if not ref.startswith("#"):
            raise ValueError(f"only local $ref is supported, got {ref!r}")
        node: Any = self.root
        for part in ref.lstrip("#").strip("/").split("/"):
            if not part:
                continue
            node = node[part.replace("~1", "/").replace("~0", "~")]
        if not isinstance(node, Mapping):
            raise ValueError(f"$ref {ref!r} does not point at a schema")
        return node


def _split_null(node: JsonSchema, side: _Side, seen: frozenset[str]) -> tuple[JsonSchema, bool, frozenset[str]]:
    """(the schema without its null alternative, whether null is allowed)."""
    node, seen = side.deref(node, seen)
    for key in ("anyOf", "oneOf"):
        variants = node.get(key)
        if isinstance(variants, list):
            resolved = [side.deref(v, seen)[0] for v in variants]
            rest = [v for v in resolved if v != _NULL]
            nullable = len(rest) < len(resolved)
            siblings = {k: v for k, v in node.items() if k != key}
            if len(rest) == 1:
                inner, inner_null, seen = _split_null({**rest[0], **siblings}, side, seen)
                return inner, nullable or inner_null, seen
            return {**siblings, key: rest}, nullable, seen
    types = node.get("type")
    if isinstance(types, list) and "null" in types:
        rest_types = [t for t in types if t != "null"]
        return {**node, "type": rest_types[0] if len(rest_types) == 1 else rest_types}, True, seen
    if node.get("type") == "null":
        return node, True, seen
    return node, False, seen


def _enum_values(node: JsonSchema) -> list[Any] | None:
    if "enum" in node:
        return list(node["enum"])
    if "const" in node:
        return [node["const"]]
    return None


def _type_name(node: JsonSchema) -> str:
    if "type" in node:
        return json.dumps(node["type"]) if isinstance(node["type"], list) else str(node["type"])
    if "anyOf" in node or "oneOf" in node:
        return "union"
    return "any"


def _compare(
    old: JsonSchema,
    new: JsonSchema,
    path: str,
    sides: tuple[_Side, _Side],
    seen: tuple[frozenset[str], frozenset[str]],
    out: list[Violation],
) -> None:
    old_side, new_side = sides
    o, o_null, o_seen = _split_null(old, old_side, seen[0])
    n, n_null, n_seen = _split_null(new, new_side, seen[1])
    if "$recursive" in o or "$recursive" in n:
        return  # already compared on the way down
    if n_null and not o_null:
        out.append(Violation(path, "may now be null: old readers refuse null"))
    if o_null and not n_null:
        out.append(Violation(path, "no longer accepts null: old messages carrying null fail new readers"))

    o_type, n_type = _type_name(o), _type_name(n)
    if o_type != "any" and o_type != n_type:
        out.append(Violation(path, f"retyped from {o_type} to {n_type}"))
        return
    for key in ("format", "pattern"):
        if o.get(key) != n.get(key):
            out.append(Violation(path, f"{key} changed from {o.get(key)!r} to {n.get(key)!r}"))

    o_enum, n_enum = _enum_values(o), _enum_values(n)
    if o_enum is not None or n_enum is not None:
        if o_enum is None:
            out.append(Violation(path, f"restricted to {n_enum}"))
        elif n_enum is not None:
            removed = [v for v in o_enum if v not in n_enum]
            added = [v for v in n_enum if v not in o_enum]
            if removed:
                out.append(Violation(path, f"values removed {removed}: old messages carrying them fail new readers"))
            if added:
                out.append(Violation(path, f"values added {added}: old readers refuse them"))

    for key in _TIGHTER_IF_LARGER:
        if key in n and (key not in o or n[key] > o[key]):
            out.append(Violation(path, f"{key} tightened from {o.get(key)} to {n[key]}"))
    for key in _TIGHTER_IF_SMALLER:
        if key in n and (key not in o or n[key] < o[key]):
            out.append(Violation(path, f"{key} tightened from {o.get(key)} to {n[key]}"))

    pair = (o_seen, n_seen)
    for key in ("anyOf", "oneOf"):
        if key in o:
            o_vars, n_vars = o[key], n.get(key, [])
            if len(o_vars) != len(n_vars):
                out.append(Violation(path, f"union changed from {len(o_vars)} to {len(n_vars)} alternatives"))
            else:
                for i, (ov, nv) in enumerate(zip(o_vars, n_vars, strict=True)):
                    _compare(ov, nv, f"{path}<{i}>", sides, pair, out)

    if "properties" in o or "properties" in n:
        _compare_object(o, n, path, sides, pair, out)
    if isinstance(o.get("additionalProperties"), Mapping) and isinstance(n.get("additionalProperties"), Mapping):
        _compare(o["additionalProperties"], n["additionalProperties"], f"{path}.*", sides, pair, out)
    if isinstance(o.get("items"), Mapping) and isinstance(n.get("items"), Mapping):
        _compare(o["items"], n["items"], f"{path}[]", sides, pair, out)
    o_prefix, n_prefix = o.get("prefixItems"), n.get("prefixItems")
    if isinstance(o_prefix, list) and isinstance(n_prefix, list):
        if len(o_prefix) != len(n_prefix):
            out.append(Violation(path, f"tuple length changed from {len(o_prefix)} to {len(n_prefix)}"))
        for i, (op, np_) in enumerate(zip(o_prefix, n_prefix, strict=False)):
            _compare(op, np_, f"{path}[{i}]", sides, pair, out)


def _compare_object(
    o: JsonSchema,
    n: JsonSchema,
    path: str,
    sides: tuple[_Side, _Side],
    seen: tuple[frozenset[str], frozenset[str]],
    out: list[Violation],
) -> None:
    o_props: Mapping[str, Any] = o.get("properties", {})
    n_props: Mapping[str, Any] = n.get("properties", {})
    o_req, n_req = set(o.get("required", ())), set(n.get("required", ()))
    prefix = f"{path}." if path else ""
    for name, o_field in o_props.items():
        if name not in n_props:
            out.append(Violation(f"{prefix}{name}", "field removed: old readers and replays need it"))
            continue
        if name in n_req and name not in o_req:
            out.append(Violation(f"{prefix}{name}", "became required: old messages without it fail new readers"))
        _compare(o_field, n_props[name], f"{prefix}{name}", sides, seen, out)
    for name in n_props:
        if name not in o_props and name in n_req:
            out.append(Violation(f"{prefix}{name}", "new required field: old messages lack it; give it a default"))
    # A field that becomes optional stays compatible: every producer writes through these models,
    # which serialise every field, defaults included.


def breaking_changes(old: JsonSchema, new: JsonSchema) -> list[Violation]:
    """Every change from `old` to `new` that breaks a reader of either version. Pure: no files, no models."""
    out: list[Violation] = []
    o_meta, n_meta = old.get(META, {}), new.get(META, {})
    for key in ("topic", "key_field", "kind", "producer"):
        if key in o_meta and o_meta.get(key) != n_meta.get(key):
            out.append(Violation(f"<{key}>", f"changed from {o_meta.get(key)!r} to {n_meta.get(key)!r}"))
    sides = (_Side(old), _Side(new))
    skip = ("$defs", "definitions", "$schema", "$id", META)
    old_body = {k: v for k, v in old.items() if k not in skip}
    new_body = {k: v for k, v in new.items() if k not in skip}
    _compare(old_body, new_body, "", sides, (frozenset(), frozenset()), out)
    return out


@dataclass(frozen=True, slots=True)
class Report:
    violations: dict[tuple[str, int], list[Violation]]
    new_types: list[tuple[str, int]]
    changed: list[tuple[str, int]]
    """Compatible changes not yet written to the snapshots."""

    @property
    def ok(self) -> bool:
        return not any(self.violations.values())


def compare_all(
    snapshots: Mapping[tuple[str, int], JsonSchema], current: Mapping[tuple[str, int], JsonSchema]
) -> Report:
    """Compare every snapshot with the current schema of the same (type, version)."""
    violations: dict[tuple[str, int], list[Violation]] = {}
    changed: list[tuple[str, int]] = []
    for key, old in sorted(snapshots.items()):
        if key not in current:
            violations[key] = [Violation("", "message type removed: readers and replays still need it")]
            continue
        found = breaking_changes(old, current[key])
        if found:
            violations[key] = found
        elif old != current[key]:
            changed.append(key)
    new_types = sorted(k for k in current if k not in snapshots)
    return Report(violations, new_types, changed)


# --- CLI -----------------------------------------------------------------------------------------


def _name(key: tuple[str, int]) -> str:
    return f"{key[0]} v{key[1]}"


def check(directory: Path = SCHEMA_DIR, out: Any = sys.stdout) -> int:
    report = compare_all(load_snapshots(directory), current_schemas())
    for key, found in report.violations.items():
        for violation in found:
            print(f"BREAKING {_name(key)}: {violation}", file=out)
    for key in report.new_types:
        print(f"new      {_name(key)} (compatible; run `write` to snapshot it)", file=out)
    for key in report.changed:
        print(f"changed  {_name(key)} (compatible; run `write` to snapshot it)", file=out)
    total = sum(len(v) for v in report.violations.values())
    print(f"{total} breaking change(s) against the snapshots in {directory}", file=out)
    return 0 if report.ok else 1


def write(directory: Path = SCHEMA_DIR, *, accept_breaking: bool = False, out: Any = sys.stdout) -> int:
    current = current_schemas()
    report = compare_all(load_snapshots(directory), current)
    if not report.ok and not accept_breaking:
        check(directory, out)
        print("refusing to overwrite snapshots with breaking changes (--accept-breaking while v1 is a draft)", file=out)
        return 1
    written = 0
    for (type_, version), schema in current.items():
        path = snapshot_path(directory, type_, version)
        path.parent.mkdir(parents=True, exist_ok=True)
        text = dumps(schema)
        if not path.exists() or path.read_text() != text:
            path.write_text(text)
            written += 1
    removed = [k for k in report.violations if k not in current]
    for type_, version in removed:
        snapshot_path(directory, type_, version).unlink()
    print(f"{written} snapshot(s) written, {len(removed)} removed, {len(current)} in {directory}", file=out)
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m o2c.contracts.schemas", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    for name in ("write", "check"):
        p = sub.add_parser(name)
        p.add_argument("--dir", type=Path, default=SCHEMA_DIR, help="snapshot directory (default: %(default)s)")
        if name == "write":
            p.add_argument("--accept-breaking", action="store_true", help="overwrite even with breaking changes")
    args = parser.parse_args(argv)
    if args.command == "write":
        return write(args.dir, accept_breaking=args.accept_breaking)
    return check(args.dir)


if __name__ == "__main__":
    sys.exit(main())
