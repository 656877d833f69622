"""Notify settings: channel adapters (local mailbox by default; SMTP and WhatsApp by configuration),
the invoice PDF link, and the transit pace for the expected delivery date."""

from __future__ import annotations

from o2c.kit.settings import ServiceSettings
from pydantic import Field, SecretStr


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
    # Webhooks: partner systems subscribed by URL (global here; per customer or global in the
    # webhook_subscription table via POST /webhooks). The secret comes from the environment
    # (O2C_NOTIFY_WEBHOOK_SECRET), never from the repository.
    notify_webhook_urls: list[str] = Field(default_factory=list)
    notify_webhook_secret: SecretStr = SecretStr("")
    notify_webhook_max_attempts: int = 6
    notify_webhook_backoff_seconds: float = 5.0
    """Delay before attempt n+1 = backoff × 2^(n-1), capped at notify_webhook_backoff_max_seconds."""
    notify_webhook_backoff_max_seconds: float = 600.0
    notify_webhook_timeout_seconds: float = 10.0
    notify_webhook_sweep_seconds: float = 1.0
