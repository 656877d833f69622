"""The use cases on an in-memory notify (`o2c.testsupport.notify.fakes`): what one unit of work commits, the next
one reads."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from o2c.notify.domain.delivery import TransitTable, TransitTerms
from o2c.notify.domain.seed_templates import SEED_TEMPLATES
from o2c.notify.domain.templates import TemplateBook
from o2c.notify.service_layer import use_cases
from o2c.testsupport.notify.fakes import InMemoryNotify

NOW = datetime(2026, 5, 4, 7, 0, tzinfo=UTC)
BOOK = TemplateBook(SEED_TEMPLATES)
SETTINGS = use_cases.Settings(invoice_pdf_url="https://docs.example/{invoice_id}.pdf",
                              transit=TransitTable(default=TransitTerms(days=1, per_km=300),
                                                   by_transporter={"29SLOW": TransitTerms(days=2, per_km=100)}))


@pytest.fixture
def notify() -> InMemoryNotify:
    return InMemoryNotify(NOW)
