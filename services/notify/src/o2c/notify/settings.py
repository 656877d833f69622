"""Notify settings: channel adapters (local mailbox by default; SMTP and WhatsApp by configuration),
the invoice PDF link, and the transit pace for the expected delivery date."""

from __future__ import annotations

from o2c.kit.settings import ServiceSettings
from pydantic import Field


class NotifySettings(ServiceSettings):
    # local: record in the outbox mail table; smtp / whatsapp_cloud: send for real with the settings below.
    notify_email_adapter: str = "local"
    notify_whatsapp_adapter: str = "local"
    notify_sms_adapter: str = "local"
    notify_smtp_host: str = "127.0.0.1"
    notify_smtp_port: int = 587
    notify_smtp_sender: str = "orders@o2c.example"
    notify_smtp_username: str = ""
    notify_smtp_password: str = ""
    notify_smtp_starttls: bool = True
    notify_whatsapp_api_url: str = ""
    notify_whatsapp_token: str = ""
    notify_invoice_pdf_url: str = "http://127.0.0.1:8105/invoices/{invoice_id}/pdf"
    notify_transit_days: int = 1
    notify_transit_km: int = 300
    notify_transit_handling_days: int = 0
    notify_transit_by_transporter: dict[str, tuple[int, int, int]] = Field(default_factory=dict)
    """Transporter id → (days, per km, handling days)."""
