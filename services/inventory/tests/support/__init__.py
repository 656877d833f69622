"""Inventory's test helpers (`o2c.testsupport.inventory`)."""
