"""`python -m o2c.inventory [serve|migrate|dead-letters ...]`."""

from __future__ import annotations

from o2c.inventory.app import DEFINITION
from o2c.kit.service import main as kit_main


def main() -> None:
    kit_main(DEFINITION)


if __name__ == "__main__":
    main()
