"""Notify's test helpers (`o2c.testsupport.notify`)."""
