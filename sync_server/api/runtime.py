"""What one server process builds at start and every request shares, in one typed object.

`create_app` stores a `Runtime` once on `app.state.runtime`; routes and pages reach it through
`RuntimeDep` (or `runtime_of(request.app)` where a dependency cannot be used), never through
other `app.state` attributes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Annotated

from anyio import CapacityLimiter
from fastapi import Depends, Request
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker
from starlette.applications import Starlette

from sync_server.api.health_watch import HealthWatch
from sync_server.api.push_load import PushLoad
from sync_server.db.checkpoints import Checkpointer
from sync_server.db.engine import make_sessionmaker, read_only
from sync_server.services.pushing import PushPipeline
from sync_server.settings import ServerSettings


@dataclass(frozen=True)
class Runtime:
    """The settings, the database and the push machinery of one server process."""

    settings: ServerSettings
    engine: Engine
    sessionmaker: sessionmaker[Session]
    """Requests read by default (a plain BEGIN: never queued behind a writer); the code that
    writes opts in with `writing(session)`."""
    checkpointer: Checkpointer
    pushing: PushPipeline
    """Check → admit → ingest with the writers' lock and the server key (services/pushing)."""
    push_load: PushLoad
    """Pushes in flight here; a crowded process asks clients to reconnect (see push_load)."""
    push_threads: CapacityLimiter
    """Pushes run on threads of their own: pushes queued on the writers' lock never hold the
    threads that health checks, pulls and staff reads need."""
    health: HealthWatch
    """/healthz answers from the last check of a thread of its own, never waiting for one."""

    @property
    def secret(self) -> str:
        """The server key behind citizen keys (services/server_key)."""
        return self.pushing.secret

    @classmethod
    def build(cls, settings: ServerSettings, engine: Engine, secret: str) -> Runtime:
        """The runtime of an app on `engine` (nothing starts until the app's lifespan does)."""
        sessions = make_sessionmaker(read_only(engine))
        return cls(
            settings=settings,
            engine=engine,
            sessionmaker=sessions,
            checkpointer=Checkpointer(engine),
            pushing=PushPipeline(
                settings.database_url, secret, timedelta(days=settings.late_entry_days)
            ),
            push_load=PushLoad(settings.workers),
            push_threads=CapacityLimiter(settings.push_threads),
            health=HealthWatch(sessions),
        )


def runtime_of(app: Starlette) -> Runtime:
    """The runtime `create_app` stored on the app."""
    runtime = app.state.runtime
    assert isinstance(runtime, Runtime), "the app was not built by create_app"
    return runtime


def get_runtime(request: Request) -> Runtime:
    """The runtime of the app serving this request."""
    return runtime_of(request.app)


RuntimeDep = Annotated[Runtime, Depends(get_runtime)]
