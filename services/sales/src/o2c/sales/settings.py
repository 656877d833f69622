"""Sales settings: the kit's plus inventory's ATP endpoint, the supplier state and the saga's timing."""

from __future__ import annotations

from o2c.kit.settings import ServiceSettings


class SalesSettings(ServiceSettings):
    inventory_url: str = "http://127.0.0.1:8103"
    atp_timeout_seconds: float = 0.8
    supplier_state_code: str = "27"
    """State of the company's registration used for quotation tax estimates (the dispatching warehouse's
    state decides the invoice)."""
    quotation_validity_days: int = 15
    company_name: str = "o2c"
    """The selling company's name as printed on quotation documents (HTML and PDF)."""
    company_gstin: str = ""
    """The selling company's GSTIN printed on the quotation PDF (omitted when empty)."""
    hold_period_hours: float = 48.0
    saga_tick_seconds: float = 2.0
    command_retry_seconds: float = 60.0
    command_max_attempts: int = 5
