"""Invoicing's consumer dispatches on one table from message class to use case: each class in it travels on a
topic the service subscribes to (an entry for a message it never receives would be a handler that never runs)."""

from __future__ import annotations

from o2c.contracts.topics import topic_for
from o2c.invoicing.app import DEFINITION
from o2c.invoicing.entrypoints.messages import USE_CASES


def test_every_message_of_the_table_arrives_on_a_topic_invoicing_reads() -> None:
    unread = {kind.TYPE: topic_for(kind).name for kind in USE_CASES
              if topic_for(kind).name not in DEFINITION.subscribes_to}
    assert unread == {}
    assert {kind.TYPE for kind in USE_CASES} >= {"ShipmentReady", "GoodsReturned", "UndoInvoice", "GstRateRecorded"}
