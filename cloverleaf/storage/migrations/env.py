"""Alembic environment: always run by `storage.migrate` on a connection it already opened."""

from __future__ import annotations

from alembic import context

from cloverleaf.storage.tables import metadata

connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=metadata, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
