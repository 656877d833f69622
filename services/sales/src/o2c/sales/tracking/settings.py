"""Where the console's backend-for-frontend finds each service's API: `O2C_<SERVICE>_URL`, default the
local stack's ports (http://127.0.0.1:81xx)."""

from __future__ import annotations

from pydantic_settings import BaseSettings, SettingsConfigDict


class ConsoleSettings(BaseSettings):
    model_config = SettingsConfigDict(extra="ignore", env_prefix="O2C_")

    sales_url: str = "http://127.0.0.1:8101"
    credit_url: str = "http://127.0.0.1:8102"
    inventory_url: str = "http://127.0.0.1:8103"
    dispatch_url: str = "http://127.0.0.1:8104"
    invoicing_url: str = "http://127.0.0.1:8105"
    ewaybill_url: str = "http://127.0.0.1:8106"
    notify_url: str = "http://127.0.0.1:8107"

    def urls(self) -> dict[str, str]:
        return {name[:-4]: value for name, value in self.model_dump().items() if name.endswith("_url")}

    def url_of(self, service: str) -> str | None:
        return self.urls().get(service)
