"""Fixtures for the TUI tests: a real profile store in a temp home and a ready app factory."""

from __future__ import annotations

import contextlib
import io
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest
from textual import events
from textual.pilot import Pilot
from textual.widgets import Static
from textual.worker import WorkerFailed

from fieldkit.domain import Entry, Outcome, Reason, Sex, period_of, wire
from fieldkit.settings import ClientSettings
from fieldkit.store import Store, create_profile
from fieldkit.tui.app import FieldkitApp

PIN = "2468"
VILLAGE = "52001-1"
CLOSED_SERVER = "http://127.0.0.1:9"  # nothing listens on the discard port: offline
FIXED_NOW = datetime(2026, 3, 14, 2, 30, tzinfo=UTC)


def enroll_response(name: str = "Lê Thị Đào", device: str = "dev-1") -> wire.EnrollResponse:
    """What a server would answer to an enrollment (the profile is real, the server is not)."""
    return wire.EnrollResponse(
        device_id=device,
        token=f"token-{device}",
        user_id=1,
        user_name=name,
        team_id=1,
        villages=[
            wire.VillageInfo(
                code=VILLAGE, name="Thôn An Hòa", commune_code="52001", commune_name="Xã An"
            ),
            wire.VillageInfo(
                code="52001-2", name="Thôn Phú Lộc", commune_code="52001", commune_name="Xã An"
            ),
        ],
        server_epoch="epoch-1",
    )


def make_entry(
    name: str,
    id_number: str,
    *,
    birth_year: int = 1990,
    sex: Sex = Sex.MALE,
    service: str = "vneid_level2",
    outcome: Outcome = Outcome.SUCCESS,
    at: datetime = FIXED_NOW,
    phone: str | None = "0912345678",
) -> Entry:
    """A valid entry for the test village."""
    return Entry(
        id=uuid.uuid4(),
        village=VILLAGE,
        service=service,
        outcome=outcome,
        reasons=[] if outcome is Outcome.SUCCESS else [Reason.NO_NETWORK],
        assisted_at=at,
        full_name=name,
        id_number=id_number,
        birth_year=birth_year,
        sex=sex,
        phone=phone,
        consent=True,
    )


def pull_tallies(store: Store, targets: dict[str, tuple[int | None, int]]) -> None:
    """Store this period's tallies of the test village as a sync would: service -> (quota,
    achieved)."""
    period = period_of(datetime.now(UTC))
    changes = [
        wire.Change(
            seq=i + 1,
            kind=wire.ChangeKind.TALLY,
            key=f"{VILLAGE}|{service}|{period}",
            data=wire.TallyRow(
                unit_code=VILLAGE, service=service, period=period, quota=quota, achieved=done
            ).model_dump(mode="json"),
        )
        for i, (service, (quota, done)) in enumerate(targets.items())
    ]
    page = wire.PullResponse(
        changes=changes,
        next_cursor=len(changes),
        has_more=False,
        server_epoch="e",
        last_mutation_id=0,
    )
    store.apply_pull_page(page)


@pytest.fixture
def home(tmp_path: Path) -> Path:
    """An empty FIELDKIT_HOME."""
    return tmp_path / "home"


@pytest.fixture
def store(home: Path) -> Store:
    """A real profile (SQLite file, argon2 PIN) for a volunteer of two villages."""
    created = create_profile(home, enroll_response(), CLOSED_SERVER, PIN)
    created.set_default_village(VILLAGE)
    return created


AppFactory = Callable[..., FieldkitApp]


@pytest.fixture
def make_app(home: Path) -> AppFactory:
    """Build an app on the temp home with injected settings and a fixed clock."""

    def factory(**kwargs: object) -> FieldkitApp:
        settings = ClientSettings(home=home, lang=str(kwargs.pop("lang", "vi")))
        kwargs.setdefault("clock", lambda: datetime.now(UTC))
        return FieldkitApp(settings, check_seconds=3600, **kwargs)  # type: ignore[arg-type]

    return factory


async def settle(pilot: Pilot[None]) -> None:
    """Let workers finish and their messages land (no sleeps)."""
    app = pilot.app
    for _ in range(10):
        await pilot.pause()
        if not any(w.is_running for w in app.workers):
            break
        with contextlib.suppress(WorkerFailed):  # the app explains failures itself
            await app.workers.wait_for_complete()
    await pilot.pause()


async def unlock(pilot: Pilot[None], pin: str = PIN) -> None:
    """Type the PIN on the unlock screen."""
    await settle(pilot)
    await pilot.press(*pin, "enter")
    await settle(pilot)


@pytest.fixture
def anyio_backend() -> str:
    """Run the async tests on asyncio (Textual's loop)."""
    return "asyncio"


def focused_id(app: FieldkitApp) -> str | None:
    """The id of the focused widget (a function, so mypy does not narrow app.focused)."""
    return app.focused.id if app.focused is not None else None


def top_screen(app: FieldkitApp) -> object:
    """The active screen (a function, so mypy does not narrow app.screen)."""
    return app.screen


async def burst(pilot: Pilot[None], *keys: str) -> None:
    """Queue keys all at once, as a terminal delivers a fast burst, then let the app settle.

    pilot.press lets the app go idle between keys, so the focused widget has handled each key
    before the next arrives; a real burst reaches the app's queue before any of it is handled.
    """
    app = pilot.app
    for name in keys:
        event = events.Key(name, " " if name == "space" else (name if len(name) == 1 else None))
        event.set_sender(app)
        app.post_message(event)
    await settle(pilot)


async def type_text(pilot: Pilot[None], text: str) -> None:
    """Type text key by key, as a volunteer would."""
    await pilot.press(*["space" if c == " " else c for c in text])


def static_text(widget: Static) -> str:
    """The plain text a Static shows (strings, Text or Rich renderables such as tables)."""
    from rich.console import Console

    console = Console(width=200, record=True, file=io.StringIO(), color_system=None)
    console.print(widget.content)
    return console.export_text().rstrip("\n")
