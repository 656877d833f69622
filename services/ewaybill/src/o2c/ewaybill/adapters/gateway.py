"""The NIC e-way bill API's HTTP adapter (the port, `EwayBillGateway`, is in service_layer/ports.py).

One adapter speaks the NIC request/response shapes over HTTP (`/ewayapi?action=GENEWAYBILL` …). Pointed
at the local sandbox server it needs nothing else; pointed at a GSP or the NIC portal it carries the
credentials from configuration. A timeout or a 5xx is transient (the consumer retries); a portal
error code is an answer."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import httpx
from o2c.ewaybill.domain.errors import MESSAGES, PortalError
from o2c.ewaybill.service_layer.ports import PortalReply
from o2c.india.portal import dumps
from o2c.kit.http import CLIENT_KEEPALIVE_SECONDS
from o2c.kit.messaging.errors import TransientError


class GatewayUnavailable(TransientError):
    """The portal did not answer in time or failed on its side: try again later."""


def _errors(body: Mapping[str, Any]) -> tuple[PortalError, ...]:
    detailed = body.get("errors")
    if isinstance(detailed, list) and detailed:
        return tuple(PortalError(code=str(e.get("code")), message=str(e.get("message", ""))) for e in detailed)
    error = body.get("error") or {}
    codes = [c.strip() for c in str(error.get("errorCodes", "")).split(",") if c.strip()]
    return tuple(PortalError(code=c, message=MESSAGES.get(c, "portal error")) for c in codes) or (
        PortalError(code="unknown", message=json.dumps(body)[:500]),
    )


class NicHttpGateway:
    """NIC e-way bill API over HTTP (sandbox server, GSP or portal) with a timeout per call."""

    def __init__(self, base_url: str, *, timeout: float = 5.0, headers: Mapping[str, str] | None = None,
                 transport: httpx.AsyncBaseTransport | None = None) -> None:
        self._client = httpx.AsyncClient(base_url=base_url.rstrip("/"), timeout=timeout,
                                         headers=dict(headers or {}), transport=transport,
                                         limits=httpx.Limits(keepalive_expiry=CLIENT_KEEPALIVE_SECONDS))

    async def aclose(self) -> None:
        await self._client.aclose()

    async def _call(self, method: str, path: str, *, params: Mapping[str, str], body: Mapping[str, Any] | None = None
                    ) -> PortalReply:
        try:
            response = await self._client.request(
                method, path, params=params,
                content=dumps(body).encode() if body is not None else None,
                headers={"content-type": "application/json"} if body is not None else None,
            )
        except (httpx.TimeoutException, httpx.TransportError) as exc:
            raise GatewayUnavailable(f"e-way bill portal unreachable: {type(exc).__name__}") from exc
        if response.status_code >= 500 or response.status_code in (408, 429):
            raise GatewayUnavailable(f"e-way bill portal answered {response.status_code}")
        try:
            reply = response.json()
        except ValueError as exc:
            raise GatewayUnavailable("e-way bill portal answered with unreadable JSON") from exc
        if str(reply.get("status")) == "1":
            return PortalReply(data=reply.get("data") or {})
        return PortalReply(errors=_errors(reply))

    async def generate(self, request: Mapping[str, Any]) -> PortalReply:
        return await self._call("POST", "/ewayapi", params={"action": "GENEWAYBILL"}, body=request)

    async def generated_for_document(self, doc_type: str, doc_no: str) -> PortalReply:
        return await self._call("GET", "/ewayapi/GetEwayBillGeneratedByConsigner",
                                params={"docType": doc_type, "docNo": doc_no})

    async def cancel(self, ebn: str, reason_code: str, remarks: str) -> PortalReply:
        body = {"ewbNo": int(ebn), "cancelRsnCode": int(reason_code), "cancelRmrk": remarks}
        return await self._call("POST", "/ewayapi", params={"action": "CANEWB"}, body=body)

    async def update_part_b(self, request: Mapping[str, Any]) -> PortalReply:
        return await self._call("POST", "/ewayapi", params={"action": "VEHEWB"}, body=request)

    async def extend(self, request: Mapping[str, Any]) -> PortalReply:
        return await self._call("POST", "/ewayapi", params={"action": "EXTENDVALIDITY"}, body=request)
