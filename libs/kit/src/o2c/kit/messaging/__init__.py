"""Messaging kit: transactional outbox + relay, inbox-deduplicated batch consumer, dead letters."""
