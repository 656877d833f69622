"""Alembic environment shared by every service: the connection and metadata come from the caller."""

from alembic import context

config = context.config
connection = config.attributes["connection"]
context.configure(connection=connection, target_metadata=config.attributes.get("target_metadata"))
with context.begin_transaction():
    context.run_migrations()
