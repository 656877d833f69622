"""Choose the portal adapter from the settings."""

from __future__ import annotations

from o2c.ewaybill.adapters.gateway import NicHttpGateway
from o2c.kit.ports import sandbox_url
from o2c.kit.settings import ServiceSettings


def gateway_from_settings(settings: ServiceSettings) -> NicHttpGateway:
    kind = str(getattr(settings, "ewb_gateway", "sandbox"))
    timeout = float(getattr(settings, "ewb_gateway_timeout_seconds", 5.0))
    if kind == "nic":
        url = str(getattr(settings, "ewb_nic_url", ""))
        if not url:
            raise ValueError("O2C_EWAYBILL_EWB_NIC_URL is required when the gateway is 'nic'")
        headers = {
            "gstin": str(getattr(settings, "ewb_nic_gstin", "")),
            "username": str(getattr(settings, "ewb_nic_username", "")),
            "password": str(getattr(settings, "ewb_nic_password", "")),
            "client_id": str(getattr(settings, "ewb_nic_client_id", "")),
            "client_secret": str(getattr(settings, "ewb_nic_client_secret", "")),
            "authtoken": str(getattr(settings, "ewb_nic_auth_token", "")),
        }
        return NicHttpGateway(url, timeout=timeout, headers={k: v for k, v in headers.items() if v})
    return NicHttpGateway(str(getattr(settings, "ewb_sandbox_url", sandbox_url("nic-sandbox"))), timeout=timeout)
