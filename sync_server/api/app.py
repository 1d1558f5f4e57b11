"""The FastAPI application factory: settings in, a ready ASGI app out."""

from __future__ import annotations

import gc
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import anyio.to_thread
from fastapi import APIRouter, FastAPI
from starlette.middleware.gzip import GZipMiddleware

from fieldkit.domain import wire
from sync_server.api.errors import install_error_handlers
from sync_server.api.middleware import BodyMiddleware, ProtocolMiddleware
from sync_server.api.openapi import install_openapi
from sync_server.api.routes import bundles, enroll, entries, health, quotas, reports, sync
from sync_server.api.runtime import Runtime
from sync_server.db.engine import make_engine
from sync_server.services.server_key import load_key
from sync_server.settings import ServerSettings, get_settings
from sync_server.web.app import install_web


def api_router() -> APIRouter:
    """Every /api/v1 route."""
    router = APIRouter(prefix=wire.API_PREFIX)
    for area in (health, enroll, sync, reports, entries, quotas, bundles):
        router.include_router(area.router)
    return router


SWITCH_INTERVAL = 0.0005
"""Seconds a thread may hold the GIL while another waits (Python's default is 0.005)."""
GC_THRESHOLDS = (50_000, 20, 20)
"""Cyclic GC thresholds while serving (Python's default is 700, 10, 10).

A push of 500 entries allocates tens of thousands of short-lived containers, nearly all freed
by reference counting; with the defaults the collector ran every few hundred of them, inside
the writers' lock too, and took about 15 % of the server's CPU time at full ingest (measured:
0.9 s of collections for 40,000 entries). The app makes few cycles, so collecting after 50,000
net allocations keeps memory bounded and costs next to nothing.
"""


GZIP_ON_THREAD = 16 * 1024
"""Response bodies at least this large are gzipped on a thread, off the event loop."""


def create_app(settings: ServerSettings | None = None) -> FastAPI:
    """Build the sync server app for a database (migrated beforehand: `sync-server init`).

    Raises server_key.KeyProblem, saying how to make one, when there is no server key.
    """
    settings = settings or get_settings()
    secret = load_key(settings)
    # Enough connections for every thread that may hold one: none ever waits for the pool.
    engine = make_engine(
        settings.database_url, pool_size=settings.pool_size, max_overflow=0, pool_timeout=10
    )
    runtime = Runtime.build(settings, engine, secret)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # What start-up built lives until shutdown: keep it out of every cyclic GC scan.
        gc.freeze()
        # A push under the writers' lock gives up the GIL on every row SQLite writes; with
        # the default 5 ms switch interval a thread checking the next push could keep it that
        # long each time. 0.5 ms hands it back sooner (measured: bench/README.md, ingest).
        before = sys.getswitchinterval()
        sys.setswitchinterval(SWITCH_INTERVAL)
        thresholds = gc.get_threshold()
        gc.set_threshold(*GC_THRESHOLDS)
        threads = anyio.to_thread.current_default_thread_limiter()
        default_threads = threads.total_tokens
        threads.total_tokens = settings.threads
        runtime.checkpointer.start()
        runtime.health.start()
        try:
            yield
        finally:
            runtime.health.stop()
            runtime.checkpointer.stop()
            sys.setswitchinterval(before)
            gc.set_threshold(*thresholds)
            threads.total_tokens = default_threads
        engine.dispose()

    app = FastAPI(
        title="fieldkit sync server",
        version=health.server_version(),
        description="Sync, tallies and reviews for community digital-technology teams.",
        lifespan=lifespan,
        # /docs is served by the web app from local files (Swagger UI's default is a CDN).
        docs_url=None,
        redoc_url=None,
    )
    app.state.runtime = runtime
    install_error_handlers(app)
    app.include_router(api_router())
    install_web(app)
    install_openapi(app, settings.max_body_bytes)
    # Added innermost first: the gzip response wrapper sits outside everything else.
    app.add_middleware(
        BodyMiddleware,
        max_body_bytes=settings.max_body_bytes,
        body_timeout=settings.body_timeout,
    )
    app.add_middleware(ProtocolMiddleware)
    # Bodies from 16 KiB on are compressed on a thread (zlib lets go of the GIL), not on the
    # event loop: a pull page or a commune's tally took milliseconds there, and everything
    # else on the loop (/healthz included) waited. Starlette's default starts at 128 KiB.
    app.add_middleware(
        GZipMiddleware, minimum_size=1000, compresslevel=6, thread_minimum_size=GZIP_ON_THREAD
    )
    return app
