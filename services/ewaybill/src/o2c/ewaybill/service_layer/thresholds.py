"""Threshold rows as compliance keeps them: added from a notification (never edited) and ended on a date when a
notification withdraws one (only ever earlier than it already ends)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from o2c.ewaybill.service_layer.ports import ThresholdRecord, UnitOfWork


class ThresholdRefused(Exception):
    """A threshold change refused: `field` names what is wrong (422 at the edge), or the row `detail` names is
    missing (404)."""

    def __init__(self, field: str, detail: str, *, missing: bool = False) -> None:
        super().__init__(detail)
        self.field, self.detail, self.missing = field, detail, missing


async def add_threshold(uow: UnitOfWork, *, value_above: Decimal, effective_from: date, effective_to: date | None,
                        state_code: str | None, movement: str | None, note: str) -> ThresholdRecord:
    if effective_to is not None and effective_to < effective_from:
        raise ThresholdRefused("effective_to", "must not be before effective_from")
    return await uow.thresholds.add(value_above=value_above, effective_from=effective_from,
                                    effective_to=effective_to, state_code=state_code, movement=movement, note=note)


async def end_threshold(uow: UnitOfWork, threshold_id: int, *, effective_to: date, reason: str, ended_by: str,
                        now: datetime) -> ThresholdRecord:
    row = await uow.thresholds.get_for_update(threshold_id)
    if row is None:
        raise ThresholdRefused("threshold_id", str(threshold_id), missing=True)
    if effective_to < row.effective_from:
        raise ThresholdRefused("effective_to", f"must not be before effective_from ({row.effective_from})")
    if row.effective_to is not None and effective_to > row.effective_to:
        raise ThresholdRefused("effective_to", f"the row already ends on {row.effective_to}; it can only end "
                                               "earlier")
    return await uow.thresholds.end(threshold_id, effective_to=effective_to, ended_by=ended_by, ended_at=now,
                                    reason=reason)
