"""A partner system's subscriber to its o2c order-status feed (examples/partner-subscriber/README.md)."""
