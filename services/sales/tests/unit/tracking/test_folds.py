"""The tracking projection routes by message type through two tables (consumer handler by type name, fold by
message class): every type on the topics it subscribes to is either handled exactly once or left out on
purpose with a reason, so no message is dropped silently."""

from __future__ import annotations

from o2c.contracts.catalog import MESSAGES
from o2c.contracts.envelope import Message
from o2c.contracts.samples import sample
from o2c.contracts.topics import topic_for
from o2c.contracts.v1 import credit, sales
from o2c.kit.service import build_runtime
from o2c.sales.app import DEFINITION
from o2c.sales.settings import SalesSettings
from o2c.sales.tracking import domain
from o2c.sales.tracking.handlers import Projection, tracking_of


def _tracking_handlers() -> dict[type[Message], object]:
    [model] = DEFINITION.read_models
    runtime = build_runtime(DEFINITION, SalesSettings(service="sales", http_port=8101,
                                                      database_url="postgresql+asyncpg://x@localhost/x"))
    by_type = {name: getattr(handle, "__name__", "") for name, handle in model.handlers(runtime).items()}
    table = Projection(tracking_of(runtime)).by_class()
    assert by_type == {cls.TYPE: getattr(handle, "__name__", "") for cls, handle in table.items()}
    return dict(table)


def _subscribed_types() -> set[type[Message]]:
    [model] = DEFINITION.read_models
    return {cls for cls in set(MESSAGES.values()) if topic_for(cls).name in set(model.subscribes_to)}


def test_every_subscribed_type_is_handled_or_left_out_on_purpose() -> None:
    handled = set(_tracking_handlers())
    subscribed = _subscribed_types()
    left_out = {cls for cls in subscribed if cls.TYPE in domain.NOT_TRACKED}
    assert handled == set(domain.ALL_MESSAGES)
    assert not handled & left_out, "a type is both handled and declared not tracked"
    assert subscribed - left_out == handled, (
        f"dropped silently: {sorted(c.TYPE for c in subscribed - left_out - handled)}; "
        f"handled but not subscribed: {sorted(c.TYPE for c in handled - subscribed)}")
    assert set(domain.NOT_TRACKED) == {cls.TYPE for cls in left_out}, "NOT_TRACKED names a type no topic carries"


def test_every_tracked_type_has_exactly_one_fold() -> None:
    assert set(domain.FOLDS) == set(domain.ALL_MESSAGES)
    assert len(domain.ALL_MESSAGES) == len(set(domain.ALL_MESSAGES))
    assert len({fold.__name__ for fold in domain.FOLDS.values()}) == len(domain.FOLDS)  # no fold serves two types


def test_a_second_fold_for_a_type_is_refused() -> None:
    register = domain.folds(sales.OrderClosed)
    try:
        register(lambda view, m: None)
    except ValueError as exc:
        assert "OrderClosed" in str(exc) and "_order_closed" in str(exc)
    else:
        raise AssertionError("a second fold for OrderClosed was accepted")
    assert domain.FOLDS[sales.OrderClosed].__name__ == "_order_closed"


def test_the_order_handler_gets_only_messages_that_name_their_order() -> None:
    table = _tracking_handlers()
    generic = {cls for cls, handle in table.items() if getattr(handle, "__name__", "") == "order_message"}
    assert generic == set(domain.ORDER_MESSAGES) - {sales.OrderConfirmed}
    assert all("order_id" in cls.model_fields for cls in generic)
    assert getattr(table[credit.PaymentReceived], "__name__", "") == "payment_received"
    assert getattr(table[sales.QuotationIssued], "__name__", "") == "quotation_issued"
    assert getattr(table[sales.OrderConfirmed], "__name__", "") == "order_confirmed"


def test_each_fold_changes_the_view_of_its_order() -> None:
    """Every fold does something visible: a step on the timeline for a sample of its type."""
    for cls in domain.ALL_MESSAGES:
        message = sample(cls)
        order_id = str(getattr(message, "order_id", None) or "ord-sample")
        if isinstance(message, credit.PaymentReceived):
            order_id = message.allocations[0].order_id
        view = domain.apply(domain.new_view(order_id), message)
        assert view["steps"], f"{cls.TYPE} left no step on the order's timeline"
