"""`python -m o2c.credit [serve|migrate|dead-letters ...]`."""

from __future__ import annotations

from o2c.kit.service import main as kit_main


def main() -> None:
    from o2c.credit.app import DEFINITION

    kit_main(DEFINITION)


if __name__ == "__main__":
    main()
