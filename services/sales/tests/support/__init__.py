"""Sales' test helpers (`o2c.testsupport.sales`), shared by its suites and the root tests."""
