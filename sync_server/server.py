"""Running the sync server: migrate the database, then serve the app with uvicorn.

`python -m sync_server.server --db URL --port 0` binds a free port and prints
`listening on http://HOST:PORT` on stdout before serving (tests and `fieldkit demo` read it).
With several workers the socket is bound once here and shared by uvicorn's worker processes.
"""

from __future__ import annotations

import argparse
import gc
import os
import signal
import socket
import sys
import threading
from typing import Any

import uvicorn
from uvicorn.config import STARTUP_FAILURE
from uvicorn.supervisors import Multiprocess

from fieldkit.domain.digits import ascii_int
from sync_server import connection_limits
from sync_server.api.app import create_app
from sync_server.services.init import migrate
from sync_server.settings import ServerSettings, get_settings


def bind(host: str, port: int) -> socket.socket:
    """A listening TCP socket (port 0 picks a free one)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(2048)
    sock.set_inheritable(True)
    return sock


REPLICATOR_PID = "SYNC_SERVER_REPLICATOR_PID"
"""Set by `serve --replicate` to Litestream's pid: the server must not outlive its replicator."""
WATCH_INTERVAL = 0.5
"""Seconds between two checks that the replicator is still this server's parent."""


def stop_with_replicator() -> threading.Thread | None:
    """Under `serve --replicate`, stop this server (SIGTERM to itself) once Litestream is gone.

    A server whose replicator died would acknowledge writes that never reach the replica and
    keep the port, so a supervisor could not restart the pair. Litestream is this process's
    parent; when it dies the process is handed to another parent, which the watcher sees.
    The variable is removed so worker processes, whose parent is this one, do not watch it.
    """
    replicator = ascii_int(os.environ.pop(REPLICATOR_PID, "").strip(), max_digits=9)
    if replicator is None:
        return None

    def watch() -> None:
        while os.getppid() == replicator:
            threading.Event().wait(WATCH_INTERVAL)
        print("litestream is gone: stopping the server so both can be restarted", file=sys.stderr)
        os.kill(os.getpid(), signal.SIGTERM)

    watcher = threading.Thread(target=watch, name="replicator-watch", daemon=True)
    watcher.start()
    return watcher


APP_FACTORY = "sync_server.api.app:create_app"
"""What each worker process imports and calls to build its app (settings from SYNC_SERVER_*)."""


def uvicorn_options(settings: ServerSettings) -> dict[str, Any]:
    """uvicorn's settings: quiet logs, and the connection limits of `settings`.

    Each worker process builds its own protocol limits from the SYNC_SERVER_* variables it
    inherits (sync_server.connection_limits).
    """
    return {
        "log_level": "warning",
        "access_log": False,
        "timeout_graceful_shutdown": 10,
        "http": connection_limits.LimitedHttpProtocol,
        "h11_max_incomplete_event_size": settings.max_header_bytes,
        "limit_concurrency": settings.max_connections,
        "timeout_keep_alive": settings.keep_alive_timeout,
    }


def serve(host: str, port: int, settings: ServerSettings | None = None, workers: int = 1) -> None:
    """Migrate the database, bind, announce the address on stdout and serve until stopped."""
    settings = settings or get_settings()
    stop_with_replicator()
    migrate(settings.database_url)
    sock = bind(host, port)
    bound_host, bound_port = sock.getsockname()[:2]
    shown = f"[{bound_host}]" if ":" in bound_host else bound_host
    print(f"listening on http://{shown}:{bound_port}", flush=True)
    if workers > 1:
        _serve_workers(sock, settings, workers)
        return
    app = create_app(settings)
    # Long-lived objects built at start-up need no cyclic GC scans on every batch.
    gc.freeze()
    connection_limits.configure(settings)
    config = uvicorn.Config(app, **uvicorn_options(settings))
    uvicorn.Server(config).run(sockets=[sock])


def _serve_workers(sock: socket.socket, settings: ServerSettings, workers: int) -> None:
    """Serve the bound socket from `workers` fresh processes until SIGINT/SIGTERM.

    uvicorn spawns each worker as a new interpreter that builds its own app with
    create_app(); the settings reach it through the environment it inherits.
    """
    for name, value in settings.environ().items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value
    config = uvicorn.Config(APP_FACTORY, factory=True, workers=workers, **uvicorn_options(settings))
    supervisor = Multiprocess(config, sockets=[sock])
    supervisor.run()
    if any(p.exitcode == STARTUP_FAILURE for p in supervisor.processes):
        raise RuntimeError("a worker process failed to start (its error is printed above)")


def main(argv: list[str] | None = None) -> None:
    """`python -m sync_server.server [--db URL] [--host H] [--port P] [--workers N]`."""
    parser = argparse.ArgumentParser(prog="python -m sync_server.server")
    parser.add_argument("--db", help="SQLAlchemy database URL (default: SYNC_SERVER_DATABASE_URL)")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--workers", type=int, default=1, help="server processes (default 1)")
    args = parser.parse_args(argv)
    if args.workers < 1:
        parser.error("--workers must be at least 1")
    overrides = {"database_url": args.db} if args.db else {}
    try:
        serve(args.host, args.port, get_settings(**overrides), args.workers)
    except KeyboardInterrupt:  # pragma: no cover - interactive stop
        sys.exit(0)


if __name__ == "__main__":
    main()
