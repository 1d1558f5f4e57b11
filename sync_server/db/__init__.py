"""The server database: typed ORM models, engines with the right PRAGMAs, Alembic migrations."""
