"""Channel adapters. The local mailbox records each message in the outbox mail table (the row is the
delivery: tests and the demo read it back over HTTP). SMTP and WhatsApp Cloud adapters send for real
and are chosen by configuration."""

from __future__ import annotations

import asyncio
import smtplib
from email.message import EmailMessage

import httpx
from o2c.notify.service_layer.ports import Delivery, OutgoingMail


class LocalMailbox:
    """Delivered = recorded in the service's own database, readable at GET /notifications."""

    async def deliver(self, mail: OutgoingMail) -> Delivery:
        return Delivery(accepted=True, adapter="local-mailbox")


class SmtpChannel:
    """E-mail over SMTP (STARTTLS when configured)."""

    def __init__(self, host: str, port: int, sender: str, *, username: str = "", password: str = "",
                 starttls: bool = True, timeout: float = 10.0) -> None:
        self.host, self.port, self.sender = host, port, sender
        self.username, self.password, self.starttls, self.timeout = username, password, starttls, timeout

    def _send(self, mail: OutgoingMail) -> None:
        message = EmailMessage()
        message["From"], message["To"], message["Subject"] = self.sender, mail.recipient, mail.subject
        message["Message-ID"] = f"<{mail.notification_id}@o2c.notify>"
        message.set_content(mail.body)
        with smtplib.SMTP(self.host, self.port, timeout=self.timeout) as smtp:
            if self.starttls:
                smtp.starttls()
            if self.username:
                smtp.login(self.username, self.password)
            smtp.send_message(message)

    async def deliver(self, mail: OutgoingMail) -> Delivery:
        try:
            await asyncio.to_thread(self._send, mail)
        except smtplib.SMTPRecipientsRefused as exc:
            return Delivery(accepted=False, adapter="smtp", detail=f"recipient refused: {exc}")
        return Delivery(accepted=True, adapter="smtp")


class WhatsAppCloudChannel:
    """WhatsApp Business Cloud API text message (phone number id and token from configuration)."""

    def __init__(self, api_url: str, token: str, timeout: float = 10.0) -> None:
        self.api_url, self.token, self.timeout = api_url, token, timeout

    async def deliver(self, mail: OutgoingMail) -> Delivery:
        body = {"messaging_product": "whatsapp", "to": mail.recipient.lstrip("+"), "type": "text",
                "text": {"body": f"{mail.subject}\n\n{mail.body}"[:4096]}}
        async with httpx.AsyncClient(timeout=self.timeout) as client:
            response = await client.post(self.api_url, json=body, headers={"Authorization": f"Bearer {self.token}"})
        if response.status_code >= 500:
            response.raise_for_status()
        return Delivery(accepted=response.status_code < 300, adapter="whatsapp-cloud",
                        detail=None if response.status_code < 300 else response.text[:500])
