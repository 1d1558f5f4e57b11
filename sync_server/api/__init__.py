"""The sync server's HTTP API: thin FastAPI routers over the services."""
