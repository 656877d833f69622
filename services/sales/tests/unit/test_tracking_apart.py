"""Sales wires its order-tracking projection as a read model of its own (issue 15): its own consumer group and
tables, every chain message; the saga's consumer handles only what the coordinator (and the parked-keys
replica) needs, so a projection failure cannot hold a saga step."""

from __future__ import annotations

from o2c.kit.service import build_runtime
from o2c.kit.settings import ServiceSettings
from o2c.sales import tracking
from o2c.sales.app import CHAIN_EVENTS, DEFINITION
from o2c.sales.service_layer.coordinator import HANDLED_TYPES


def test_tracking_consumes_apart_from_the_saga() -> None:
    [model] = DEFINITION.read_models
    assert model.name == "tracking" and list(model.subscribes_to) == CHAIN_EVENTS
    assert model.tables.inbox.name == "tracking_inbox" and model.tables.parked_key.name == "tracking_parked_key"
    assert {"tracking_inbox", "tracking_dead_letter", "tracking_parked_key"} <= set(DEFINITION.metadata.tables)
    runtime = build_runtime(DEFINITION, ServiceSettings(service="sales", http_port=8101,
                                                        database_url="postgresql+asyncpg://x@localhost/x"))
    saga_types = set(DEFINITION.handlers(runtime))
    assert set(HANDLED_TYPES) <= saga_types
    only_tracking = {m.TYPE for m in tracking.ALL_MESSAGES} - set(HANDLED_TYPES)
    assert only_tracking and not (only_tracking & saga_types)  # e.g. OrderConfirmed, PickListIssued
