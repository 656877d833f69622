"""Invoicing's test helpers (`o2c.testsupport.invoicing`)."""
