"""`python -m sync_server.cli`."""

from sync_server.cli import main

main()
