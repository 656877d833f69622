"""The shared kit: settings, HTTP, auth, database, messaging and telemetry, written once for all seven services."""
