"""`python -m o2c.dispatch [serve|migrate|dead-letters ...]` (port 8104)."""

from __future__ import annotations

from o2c.dispatch.app import DEFINITION
from o2c.kit.service import main as run


def main() -> None:
    run(DEFINITION)


if __name__ == "__main__":
    main()
