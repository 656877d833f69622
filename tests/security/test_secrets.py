"""Finding 9 (secrets never default to empty): a service started without a secret its configuration uses
refused nothing (an empty GSP or NIC password, an empty SMTP password, a database URL without a password).
Now the process refuses to start and names what is missing. Which secret is needed when is written once,
in each service's settings (`missing_secrets`), and in docs/operations.md (Secrets)."""

from __future__ import annotations

from pathlib import Path

import pytest
from o2c.ewaybill.settings import EwayBillSettings
from o2c.invoicing.settings import InvoicingSettings
from o2c.notify.settings import NotifySettings
from o2c.testsupport.service_process import ServiceProcess, free_port

DB = "postgresql+asyncpg://o2c_x:pw@127.0.0.1:5432/o2c_x"
KEY = "k" * 40  # notify's webhook sealing key (always needed)


@pytest.mark.parametrize(("settings", "missing"), [
    (InvoicingSettings(database_url=DB, irp_mode="gsp", gsp_client_id="c", gsp_username="u", gsp_password="p"),
     ["gsp_client_secret"]),
    (InvoicingSettings(database_url=DB, irp_mode="gsp", gsp_client_id="c", gsp_username="u",
                       gsp_client_secret="s"), ["gsp_password"]),
    (InvoicingSettings(database_url=DB, irp_mode="sandbox"), []),
    (EwayBillSettings(database_url=DB, ewb_gateway="nic", ewb_nic_url="https://x", ewb_nic_username="u",
                      ewb_nic_client_id="c", ewb_nic_client_secret="s"), ["ewb_nic_password"]),
    (EwayBillSettings(database_url=DB, ewb_gateway="nic", ewb_nic_url="https://x", ewb_nic_username="u",
                      ewb_nic_client_id="c", ewb_nic_password="p"), ["ewb_nic_client_secret"]),
    (EwayBillSettings(database_url=DB), []),
    (NotifySettings(database_url=DB, notify_webhook_secrets_key=KEY, notify_email_adapter="smtp",
                    notify_smtp_username="orders"), ["notify_smtp_password"]),
    (NotifySettings(database_url=DB, notify_webhook_secrets_key=KEY, notify_whatsapp_adapter="whatsapp_cloud"),
     ["notify_whatsapp_token"]),
    (NotifySettings(database_url="postgresql+asyncpg://o2c_notify@127.0.0.1/o2c_notify",
                    notify_webhook_secrets_key=KEY), ["database_url (no password in the URL)"]),
    (NotifySettings(database_url=DB, notify_webhook_secrets_key=""), ["notify_webhook_secrets_key"]),
])
def test_each_service_names_the_secrets_its_configuration_needs(settings: object, missing: list[str]) -> None:
    assert settings.missing_secrets() == missing  # type: ignore[attr-defined]


@pytest.mark.integration
async def test_a_service_refuses_to_start_with_an_empty_required_secret(tmp_path: Path) -> None:
    # The process must refuse before it connects anywhere: these addresses are never reached.
    common = {"KAFKA_BOOTSTRAP": f"127.0.0.1:{free_port()}", "HTTP_PORT": str(free_port()),
              "METRICS_PORT": str(free_port())}
    smtp = ServiceProcess("notify", {**common, "DATABASE_URL": DB, "NOTIFY_WEBHOOK_SECRETS_KEY": KEY,
                                     "NOTIFY_EMAIL_ADAPTER": "smtp",
                                     "NOTIFY_SMTP_USERNAME": "orders@o2c.example", "NOTIFY_SMTP_PASSWORD": ""},
                          tmp_path / "smtp.log")
    # (A database URL without a password is refused the same way: the unit case above; one process is enough.)
    try:
        await smtp.start()
        code = await smtp.exited(45)
    finally:
        await smtp.stop()
    assert code not in (None, 0), f"notify ran with SMTP auth and no password:\n{smtp.output()}"
    assert "required secrets are not set: notify_smtp_password" in smtp.output(), smtp.output()
