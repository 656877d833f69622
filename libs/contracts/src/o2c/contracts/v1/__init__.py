"""Version 1 of every o2c message: one module per producing service (the module's service is the only
publisher of its messages; sales also publishes the coordinator's commands to credit, inventory and
dispatch). Shared parts live in `common`."""
