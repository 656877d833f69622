"""Dispatch's background work: e-way bills that expire while their shipment waits at the gate take it off its
warehouse's ready-for-gate list, with ShipmentGateClosed (nothing else would notice the clock passing)."""

from __future__ import annotations

import asyncio
import logging

from o2c.dispatch.bootstrap import Dispatch, bootstrap
from o2c.dispatch.service_layer import use_cases
from o2c.kit.messaging.errors import is_transient
from o2c.kit.service import Runtime

log = logging.getLogger("o2c.dispatch.gate")

SWEEP_SECONDS = 60.0


async def sweep_gate_once(dispatch: Dispatch) -> int:
    async with dispatch.transaction() as uow:
        return await use_cases.sweep_gate(uow, dispatch.now())


async def sweep_gate_forever(rt: Runtime) -> None:
    await rt.migrated.wait()
    dispatch = bootstrap(rt)
    while True:
        try:
            await sweep_gate_once(dispatch)
        except Exception as exc:  # a database outage must not end the sweep
            if not is_transient(exc):
                log.exception("ready-for-gate sweep failed")
        await asyncio.sleep(SWEEP_SECONDS)
