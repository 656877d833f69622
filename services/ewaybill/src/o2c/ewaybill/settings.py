"""E-way bill settings: which portal adapter, where it is, and its credentials (configuration only)."""

from __future__ import annotations

from o2c.kit.ports import sandbox_url
from o2c.kit.settings import ServiceSettings
from pydantic import Field


class EwayBillSettings(ServiceSettings):
    # sandbox: the local sandbox server (tests, demo); nic: a GSP or the NIC portal with the credentials below.
    ewb_gateway: str = "sandbox"
    ewb_sandbox_url: str = Field(default_factory=lambda: sandbox_url("nic-sandbox"))
    ewb_gateway_timeout_seconds: float = 5.0
    ewb_nic_url: str = ""
    ewb_nic_gstin: str = ""
    ewb_nic_username: str = ""
    ewb_nic_password: str = ""
    ewb_nic_client_id: str = ""
    ewb_nic_client_secret: str = ""
    ewb_nic_auth_token: str = ""

    def missing_secrets(self) -> list[str]:
        """The NIC credentials are needed when e-way bills go to a GSP or the NIC portal (ewb_gateway=nic)."""
        missing = super().missing_secrets()
        if self.ewb_gateway == "nic":
            missing += [f"ewb_nic_{name}" for name in ("url", "username", "password", "client_id", "client_secret")
                        if not getattr(self, f"ewb_nic_{name}")]
        return missing
