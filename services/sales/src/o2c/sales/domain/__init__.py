"""The sales domain, pure: customers, catalog, quotations, orders and the order saga's decisions (no I/O)."""
