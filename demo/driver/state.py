"""The ids the services gave out, kept between demo runs (`.stack/demo/state.json`).

Sales numbers customers and orders itself (`cus-…`, `ord-…`), so a second `make demo` needs the first run's
ids to find what already exists. Nothing here is a result: every step still reads the services' answers.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any


class State:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.data: dict[str, Any] = {}
        if path.exists():
            try:
                self.data = json.loads(path.read_text())
            except ValueError:
                self.data = {}

    def section(self, name: str) -> dict[str, Any]:
        found: dict[str, Any] = self.data.setdefault(name, {})
        return found

    def save(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(json.dumps(self.data, indent=1, sort_keys=True))
        tmp.replace(self.path)
