"""`python -m o2c.sales [serve|migrate|dead-letters …]`."""

from __future__ import annotations

from collections.abc import Sequence

from o2c.kit.service import main as kit_main
from o2c.sales.app import DEFINITION


def main(argv: Sequence[str] | None = None) -> None:
    kit_main(DEFINITION, argv)


if __name__ == "__main__":
    main()
