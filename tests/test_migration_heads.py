"""Every service's migrations keep one head per branch (engineers rebase their revisions onto the head)."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic.config import Config
from alembic.script import ScriptDirectory

REPO = Path(__file__).resolve().parents[1]
SERVICES = sorted(p.name for p in (REPO / "services").iterdir() if (p / "migrations" / "versions").is_dir())


@pytest.mark.parametrize("service", SERVICES)
def test_each_migration_branch_has_one_head(service: str) -> None:
    cfg = Config()
    cfg.set_main_option("script_location", str(REPO / "libs/kit/src/o2c/kit/alembic"))
    cfg.set_main_option("path_separator", "os")
    cfg.set_main_option("version_locations", str(REPO / "services" / service / "migrations" / "versions"))
    script = ScriptDirectory.from_config(cfg)
    heads = script.get_heads()
    # A labelled branch (e.g. sales' tracking read model) is its own lineage with its own head.
    by_base: dict[str, list[str]] = {}
    for head in heads:
        roots = sorted(r.revision for r in script.walk_revisions(base="base", head=head) if not r.down_revision)
        by_base.setdefault(",".join(roots), []).append(head)
    doubled = {root: hs for root, hs in by_base.items() if len(hs) > 1}
    assert not doubled, f"{service}: several heads on one branch {doubled}; re-parent the newer revision"
