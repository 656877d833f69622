"""Invoicing's settings (`O2C_INVOICING_*` over `O2C_*`): the IRP gateway and the e-invoicing facts."""

from __future__ import annotations

from decimal import Decimal

from o2c.kit.ports import sandbox_url
from o2c.kit.settings import ServiceSettings
from pydantic import Field


class InvoicingSettings(ServiceSettings):
    irp_mode: str = "sandbox"
    """sandbox (the local IRP sandbox, or any plain-JSON IRP endpoint) | gsp (a GSP with its credentials) | off"""
    irp_base_url: str = Field(default_factory=lambda: sandbox_url("irp-sandbox"))
    irp_timeout_seconds: float = 5.0
    gsp_client_id: str = ""
    gsp_client_secret: str = ""
    gsp_username: str = ""
    gsp_password: str = ""
    aggregate_turnover: Decimal = Decimal("500000000")
    """The supplier's aggregate turnover (₹): decides e-invoicing and the IRP's 30-day reporting limit."""
    irn_worker: str = "in_process"
    """in_process: the service registers IRNs itself; separate: `python -m o2c.invoicing.entrypoints.irn_worker` does
    (its own process and CPU share, so registration never competes with ShipmentReady → InvoiceIssued)."""
    irn_poll_seconds: float = 0.2
    irn_retry_seconds: float = 5.0
    pdf_prerender: bool = False
    """Render every new invoice's PDF in the background. Off by default: rendering is CPU work that competes
    with the message path in this process; the first GET renders and caches it instead (~50 ms)."""
    pdf_poll_seconds: float = 1.0

    def missing_secrets(self) -> list[str]:
        """A GSP's client secret and password are needed when invoicing talks to a GSP (irp_mode=gsp)."""
        missing = super().missing_secrets()
        if self.irp_mode == "gsp":
            missing += [f"gsp_{name}" for name in ("client_id", "client_secret", "username", "password")
                        if not getattr(self, f"gsp_{name}")]
        return missing
