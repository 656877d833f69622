"""Root conftest: the shared fixtures for tests against the real stack live in the kit."""

pytest_plugins = ["o2c.kit.testing"]
