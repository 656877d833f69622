"""Credit's settings: the kit's, plus the sanction timings and the write-off ceiling (O2C_CREDIT_* env)."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from o2c.credit.domain import SanctionPolicy
from o2c.kit.settings import ServiceSettings


class CreditSettings(ServiceSettings):
    sanction_escalate_after_hours: float = 4.0
    sanction_hold_period_hours: float = 48.0
    sanction_sweep_seconds: float = 30.0
    payment_write_off_limit: Decimal = Decimal("100.00")
    """The largest residue finance may write off when recording a payment."""
    cheque_bounce_charge: Decimal = Decimal("0")
    """Charged for a bounced cheque (O2C_CREDIT_CHEQUE_BOUNCE_CHARGE): credit only publishes it on PaymentReversed;
    the charge is a GST debit note, invoicing's to raise."""

    def sanction_policy(self) -> SanctionPolicy:
        return SanctionPolicy(escalate_after=timedelta(hours=self.sanction_escalate_after_hours),
                              hold_period=timedelta(hours=self.sanction_hold_period_hours))
