"""Sales settings: the kit's plus inventory's ATP endpoint, the supplier state and the saga's timing."""

from __future__ import annotations

from o2c.kit.ports import service_url
from o2c.kit.settings import ServiceSettings
from o2c.sales.domain.geography import StateCode
from pydantic import Field, field_validator


class SalesSettings(ServiceSettings):
    inventory_url: str = Field(default_factory=lambda: service_url("inventory"))
    credit_url: str = Field(default_factory=lambda: service_url("credit"))
    """The other services' APIs, for the console's forwarder (`O2C_<SERVICE>_URL`; inventory's also for ATP)."""
    dispatch_url: str = Field(default_factory=lambda: service_url("dispatch"))
    invoicing_url: str = Field(default_factory=lambda: service_url("invoicing"))
    ewaybill_url: str = Field(default_factory=lambda: service_url("ewaybill"))
    notify_url: str = Field(default_factory=lambda: service_url("notify"))
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
    tracking_release_days: int = 0
    """Order tracking's lead times (days) behind the expected dispatch date: reserved → pick list issued,"""
    tracking_pick_days: int = 1
    """… pick list issued → every line confirmed (per warehouse in `tracking_pick_days_by_warehouse`),"""
    tracking_pick_days_by_warehouse: dict[str, int] = Field(default_factory=dict)
    """e.g. `O2C_SALES_TRACKING_PICK_DAYS_BY_WAREHOUSE='{"BOM": 2}'` for a slower site,"""
    tracking_documents_days: int = 0
    """… picked → vehicle, invoice, e-way bill and gate-out,"""
    tracking_rejection_days: int = 1
    """… and the cost of correcting an IRN or e-way bill rejection."""

    @field_validator("supplier_state_code")
    @classmethod
    def _a_state(cls, value: str) -> str:
        """Refused when the settings load (the service does not start), not at the first quotation."""
        StateCode.parse(value, "supplier_state_code")
        return value

    def service_urls(self) -> dict[str, str]:
        """Where the console's forwarder finds each other service's API."""
        return {"credit": self.credit_url, "inventory": self.inventory_url, "dispatch": self.dispatch_url,
                "invoicing": self.invoicing_url, "ewaybill": self.ewaybill_url, "notify": self.notify_url}
