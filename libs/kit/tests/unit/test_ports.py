"""One O2C_PORT_OFFSET moves every local default: the services' API and metrics ports, the sandboxes, the
cross-service URLs, the broker and Redis; an explicit setting still wins."""

from __future__ import annotations

import pytest
from o2c.ewaybill.app import DEFINITION as EWAYBILL
from o2c.invoicing.app import DEFINITION as INVOICING
from o2c.kit.ports import EPHEMERAL_PORTS_FROM, MAX_OFFSET, copy_ports
from o2c.kit.settings import load_settings
from o2c.notify.app import DEFINITION as NOTIFY
from o2c.sales.app import DEFINITION as SALES


@pytest.fixture
def offset_300(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("O2C_PORT_OFFSET", "O2C_KAFKA_BOOTSTRAP", "O2C_REDIS_URL", "O2C_SALES_HTTP_PORT", "O2C_HTTP_PORT",
                 "O2C_SALES_INVENTORY_URL", "O2C_INVENTORY_URL", "O2C_INVOICING_IRP_BASE_URL", "O2C_IRP_BASE_URL",
                 "O2C_EWAYBILL_EWB_SANDBOX_URL", "O2C_EWB_SANDBOX_URL", "O2C_SALES_METRICS_PORT", "O2C_METRICS_PORT"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("O2C_PORT_OFFSET", "300")


def test_every_default_follows_the_offset(offset_300: None) -> None:
    sales = load_settings(SALES.settings_class, "sales", SALES.http_port)
    assert (sales.http_port, sales.metrics_listen_port) == (8401, 9401)
    assert sales.service_urls() == {name: f"http://127.0.0.1:{port}" for name, port in (
        ("credit", 8402), ("inventory", 8403), ("dispatch", 8404), ("invoicing", 8405), ("ewaybill", 8406),
        ("notify", 8407))}
    assert sales.kafka_bootstrap == "127.0.0.1:19392"
    assert sales.redis_url == "redis://127.0.0.1:16679/0"
    invoicing = load_settings(INVOICING.settings_class, "invoicing", INVOICING.http_port)
    assert (invoicing.http_port, invoicing.irp_base_url) == (8405, "http://127.0.0.1:8505")
    ewaybill = load_settings(EWAYBILL.settings_class, "ewaybill", EWAYBILL.http_port)
    assert (ewaybill.http_port, ewaybill.ewb_sandbox_url) == (8406, "http://127.0.0.1:8506")
    notify = load_settings(NOTIFY.settings_class, "notify", NOTIFY.http_port)
    assert notify.notify_invoice_pdf_url == "http://127.0.0.1:8405/invoices/{invoice_id}/pdf"


def test_an_explicit_setting_wins_over_the_offset(offset_300: None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("O2C_SALES_HTTP_PORT", "9999")
    monkeypatch.setenv("O2C_SALES_INVENTORY_URL", "http://inventory:8103")
    monkeypatch.setenv("O2C_KAFKA_BOOTSTRAP", "broker:9092")
    sales = load_settings(SALES.settings_class, "sales", SALES.http_port)
    assert (sales.http_port, sales.service_urls()["inventory"], sales.kafka_bootstrap) == (
        9999, "http://inventory:8103", "broker:9092")


def test_without_an_offset_the_usual_ports(offset_300: None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("O2C_PORT_OFFSET")
    sales = load_settings(SALES.settings_class, "sales", SALES.http_port)
    assert (sales.http_port, sales.service_urls()["invoicing"], sales.kafka_bootstrap) == (
        8101, "http://127.0.0.1:8105", "127.0.0.1:19092")


@pytest.mark.parametrize("raw", ["-300", "three hundred", "99999"])
def test_a_bad_offset_is_refused_by_name(offset_300: None, monkeypatch: pytest.MonkeyPatch, raw: str) -> None:
    monkeypatch.setenv("O2C_PORT_OFFSET", raw)
    with pytest.raises(ValueError, match="O2C_PORT_OFFSET"):
        load_settings(SALES.settings_class, "sales", SALES.http_port)


def test_the_documented_copies_share_no_port() -> None:
    from o2c.kit.own_stack import DEFAULT_OFFSETS
    from o2c.kit.ports import clear_of

    offsets = [0, 300, 600, *DEFAULT_OFFSETS[1:]]
    assert all(clear_of(a, b) for a in offsets for b in offsets if a != b)
    assert not clear_of(0, 900), "sandboxes at 9105/9106 would be invoicing's and e-way bill's metrics ports at 0"


def test_no_copy_listens_in_the_ephemeral_range() -> None:
    """A server restarted mid-flow (the broker, PostgreSQL) must find its port free: outside the ephemeral range no
    reconnecting client can hold it by connecting to itself."""
    assert max(copy_ports(MAX_OFFSET)) < EPHEMERAL_PORTS_FROM
