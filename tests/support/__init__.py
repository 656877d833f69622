"""Shared test helpers for the suites under tests/ (installed as `o2c.testsupport`, setup.py): waits on
conditions, the fault chain, a service as a child process, rendered deploy manifests."""
