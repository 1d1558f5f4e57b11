"""Alembic migrations for the server database."""
