"""IRP gateway adapters: HTTP clients speaking the NIC e-invoice API shapes (schema 1.1).

- `HttpIrpGateway`: the plain API as the local sandbox (and GSPs that take plain JSON) speak it.
- `GspIrpGateway`: the same calls behind a GSP's authentication (client id/secret, user, password →
  AuthToken, refreshed before expiry). Configuration only here; it is not exercised by the tests.

Both raise `IrpRefusal` for a refusal (code as returned) and `IrpUnavailable` for timeouts, connection
failures and 5xx answers, so the caller can tell "decided: no" from "try again"."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Any

import httpx
from o2c.india.calendar import IST
from o2c.invoicing.service_layer.ports import IrpAck, IrpRefusal, IrpUnavailable
from o2c.kit.http import CLIENT_KEEPALIVE_SECONDS

API = "/eicore/v1.03/Invoice"


def parse_ack_date(text: str) -> datetime:
    """The IRP writes `yyyy-mm-dd hh:mm:ss` in IST."""
    return datetime.strptime(text, "%Y-%m-%d %H:%M:%S").replace(tzinfo=IST).astimezone(UTC)


def _ack(data: dict[str, Any]) -> IrpAck:
    return IrpAck(irn=str(data["Irn"]), ack_no=str(data["AckNo"]), ack_date=parse_ack_date(str(data["AckDt"])),
                  signed_qr_code=str(data.get("SignedQRCode", "")), signed_invoice=str(data.get("SignedInvoice", "")))


class HttpIrpGateway:
    def __init__(self, base_url: str, *, timeout: float = 5.0, headers: dict[str, str] | None = None,
                 transport: httpx.AsyncBaseTransport | None = None) -> None:
        self.client = httpx.AsyncClient(base_url=base_url, timeout=timeout, headers=headers or {},
                                        transport=transport,
                                        limits=httpx.Limits(keepalive_expiry=CLIENT_KEEPALIVE_SECONDS))

    async def _headers(self, supplier_gstin: str) -> dict[str, str]:
        return {"gstin": supplier_gstin}

    async def _call(self, method: str, path: str, supplier_gstin: str, body: Any = None) -> dict[str, Any]:
        try:
            response = await self.client.request(method, path, json=body, headers=await self._headers(supplier_gstin))
        except httpx.HTTPError as exc:
            raise IrpUnavailable(f"IRP not reachable: {type(exc).__name__} {exc}") from exc
        return self._answer(response)

    async def generate(self, payload: dict[str, Any], supplier_gstin: str) -> IrpAck:
        from o2c.india.portal import dumps

        # Amounts go as JSON numbers digit for digit (never through float).
        return _ack(await self._call_raw("POST", API, supplier_gstin, dumps(payload)))

    async def _call_raw(self, method: str, path: str, supplier_gstin: str, content: str) -> dict[str, Any]:
        headers = await self._headers(supplier_gstin) | {"content-type": "application/json"}
        try:
            response = await self.client.request(method, path, content=content.encode(), headers=headers)
        except httpx.HTTPError as exc:
            raise IrpUnavailable(f"IRP not reachable: {type(exc).__name__} {exc}") from exc
        return self._answer(response)

    def _answer(self, response: httpx.Response) -> dict[str, Any]:
        if response.status_code >= 500:
            raise IrpUnavailable(f"IRP answered {response.status_code}")
        try:
            answer: dict[str, Any] = response.json()
        except ValueError as exc:
            raise IrpUnavailable(f"IRP answered {response.status_code} without JSON") from exc
        if answer.get("Status") in (1, "1"):
            data: dict[str, Any] = answer.get("Data") or {}
            return data
        errors = answer.get("ErrorDetails") or [{"ErrorCode": str(response.status_code), "ErrorMessage": "refused"}]
        existing = None
        for info in answer.get("InfoDtls") or []:
            if info.get("InfCd") == "DUPIRN" and isinstance(info.get("Desc"), dict):
                existing = _ack(info["Desc"])
        raise IrpRefusal(str(errors[0].get("ErrorCode")), str(errors[0].get("ErrorMessage", "")), existing)

    async def get_by_irn(self, irn: str, supplier_gstin: str) -> IrpAck:
        return _ack(await self._call("GET", f"{API}/irn/{irn}", supplier_gstin))

    async def cancel(self, irn: str, reason_code: str, remarks: str, supplier_gstin: str) -> datetime:
        data = await self._call("POST", f"{API}/Cancel", supplier_gstin,
                                {"Irn": irn, "CnlRsn": reason_code, "CnlRem": remarks[:100]})
        return parse_ack_date(str(data["CancelDate"]))


class GspIrpGateway(HttpIrpGateway):
    """A GSP in front of the IRP: authenticate, keep the token, send it with every call."""

    def __init__(self, base_url: str, *, client_id: str, client_secret: str, username: str, password: str,
                 timeout: float = 10.0, transport: httpx.AsyncBaseTransport | None = None) -> None:
        super().__init__(base_url, timeout=timeout,
                         headers={"client_id": client_id, "client_secret": client_secret}, transport=transport)
        self.username, self.password = username, password
        self._token: str | None = None
        self._token_expires = 0.0

    async def _headers(self, supplier_gstin: str) -> dict[str, str]:
        if self._token is None or time.monotonic() > self._token_expires:
            try:
                response = await self.client.post("/eivital/v1.04/auth", headers={"gstin": supplier_gstin}, json={
                    "UserName": self.username, "Password": self.password, "ForceRefreshAccessToken": False})
            except httpx.HTTPError as exc:
                raise IrpUnavailable(f"GSP auth not reachable: {exc}") from exc
            data = self._answer(response)
            self._token = str(data["AuthToken"])
            self._token_expires = time.monotonic() + 50 * 60  # tokens live 6 h; refresh well before
        return {"gstin": supplier_gstin, "user_name": self.username, "AuthToken": self._token}
