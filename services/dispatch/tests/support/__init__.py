"""Dispatch's test helpers (`o2c.testsupport.dispatch`)."""
