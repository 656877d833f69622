"""Credit's consumer dispatches on a table from message class to use case: every class in it arrives on a topic
credit subscribes to, and the handlers the service registers are exactly the table's (by message type)."""

from __future__ import annotations

from o2c.contracts.topics import topic_for
from o2c.credit.app import DEFINITION
from o2c.credit.bootstrap import Credit
from o2c.credit.entrypoints.messages import USE_CASES, handlers


def test_every_message_in_the_table_comes_on_a_topic_credit_reads() -> None:
    assert {kind.__name__: topic_for(kind).name for kind in USE_CASES
            if topic_for(kind).name not in DEFINITION.subscribes_to} == {}


def test_the_registered_handlers_are_the_tables_by_message_type() -> None:
    credit = Credit(sessions=None, outbox=None)  # type: ignore[arg-type]  # nothing runs: only the table is read
    assert set(handlers(credit)) == {kind.TYPE for kind in USE_CASES}
    assert {kind.TYPE for kind in USE_CASES} >= {"OrderConfirmed", "OrderAmended", "RecheckCredit",
                                                   "ReleaseCreditExposure", "InvoiceIssued", "CreditNoteIssued"}
