"""`fieldkit demo` run twice: the second run keeps the demo volunteer and what they typed.

These tests run the demo's set-up (start_demo) with the real FastAPI server in a thread and
a small world instead of seeding a province through `sync-server` subprocesses; the one test
that runs the real subprocesses end to end is marked slow.
"""

from __future__ import annotations

import json
import socket
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from fieldkit import demo
from fieldkit.cli import app
from fieldkit.domain import Entry, Outcome, Sex
from fieldkit.store import EntryFilter, EntryQuery, Store, list_profiles, open_store
from fieldkit.store.profiles import profile_path
from fieldkit.sync import sync_once
from tests.tui.server import VILLAGE, ServerThread, add_volunteer, make_world


@dataclass
class ThreadServer:
    """What start_demo needs of its server (url, stop), served by uvicorn in a thread."""

    thread: ServerThread

    @property
    def url(self) -> str:
        return self.thread.url

    def stop(self) -> None:
        self.thread.stop()


@pytest.fixture
def in_process(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[ThreadServer]]:
    """start_demo with the server in a thread and a one-village world (no subprocesses)."""
    started: list[ThreadServer] = []

    def seed_once(workdir: Path, db_url: str, tell: object) -> None:
        if not (workdir / demo.SERVER_DB).exists():
            make_world(db_url)

    def start_server(workdir: Path, db_url: str, preferred_port: int | None = None) -> object:
        port = demo.free_port(preferred_port)
        server = ThreadServer(ServerThread(db_url, workdir, port).start())
        started.append(server)
        return server

    monkeypatch.setattr(demo, "seed_once", seed_once)
    monkeypatch.setattr(demo, "start_server", start_server)
    monkeypatch.setattr(demo, "demo_village", lambda db_url: VILLAGE)
    monkeypatch.setattr(demo, "add_volunteer", lambda db_url, village: add_volunteer(db_url))
    yield started
    for server in started:
        server.stop()


def citizen_entry(store: Store, name: str, id_number: str) -> Entry:
    """A valid entry in the demo volunteer's village."""
    return Entry(
        id=uuid.uuid4(),
        village=store.profile.default_village or VILLAGE,
        service="vneid_level2",
        outcome=Outcome.SUCCESS,
        reasons=[],
        assisted_at=datetime.now(UTC),
        full_name=name,
        id_number=id_number,
        birth_year=1990,
        sex=Sex.FEMALE,
        phone="0912345678",
        consent=True,
    )


def names(store: Store) -> list[str]:
    """Every entry's citizen name, sorted."""
    return sorted(r.full_name for r in store.query_entries(EntryQuery(limit=100)))


def first_run(home: Path) -> tuple[str, str]:
    """Run the demo once: one entry synced, one still pending. Returns (device id, url)."""
    running = demo.start_demo(home)
    try:
        assert running.notice is None, "nothing to say on the very first run"
        store = running.store
        store.save_entry(citizen_entry(store, "Trần Thị Bích", "052190001234"))
        assert sync_once(store).pushed == 1
        store.save_entry(citizen_entry(store, "Lê Thị Hoa", "052190005678"))
        return store.profile.device_id, store.profile.server_url
    finally:
        running.store.close()
        running.stop()


def revoke(home: Path, device_id: str) -> None:
    """What `sync-server device revoke ID` does, on the demo's server database."""
    from sync_server.db.engine import make_engine
    from sync_server.services import devices

    engine = make_engine(f"sqlite:///{home / 'demo' / demo.SERVER_DB}")
    try:
        with Session(engine) as session:
            devices.revoke(session, device_id)
            session.commit()
    finally:
        engine.dispose()


def test_second_run_keeps_the_demo_volunteer_and_their_entries(
    tmp_path: Path, in_process: list[ThreadServer]
) -> None:
    home = tmp_path / "home"
    device_id, url = first_run(home)
    said: list[str] = []
    running = demo.start_demo(home, say=said.append)
    try:
        store = running.store
        assert running.reused
        assert store.profile.device_id == device_id, "no new enrollment"
        assert store.profile.server_url == url == running.server.url, "same port as last time"
        assert names(store) == ["Lê Thị Hoa", "Trần Thị Bích"]
        assert running.notice is not None
        assert "Dùng lại tình nguyện viên demo của lần trước (2 bản ghi trên máy)." in said
        assert running.notice[1].startswith("Using the demo volunteer from last time")
        # The same server database: the pending entry goes, the synced one is not sent again.
        report = sync_once(store)
        assert report.pushed == 1
        assert store.count_entries(EntryQuery(filter=EntryFilter.PENDING)) == 0
    finally:
        running.store.close()
        running.stop()
    assert [p.name for p in list_profiles(home)] == ["demo"]


def test_plain_fieldkit_lists_and_opens_the_demo_profile(
    tmp_path: Path, in_process: list[ThreadServer]
) -> None:
    home = tmp_path / "home"
    device_id, _url = first_run(home)
    env = {"FIELDKIT_HOME": str(home), "FIELDKIT_LANG": "vi", "FIELDKIT_PROFILE": None}
    status = CliRunner().invoke(app, ["status", "--json"], env=env)
    assert status.exit_code == 0, status.stderr
    data = json.loads(status.stdout)
    assert (data["profile"]["name"], data["profile"]["device_id"]) == ("demo", device_id)
    assert (data["pending"], data["total"]) == (1, 2)
    store = open_store(home)  # what the app opens after the PIN screen lists the profiles
    try:
        assert store.profile.device_id == device_id
    finally:
        store.close()


def test_a_demo_profile_of_an_earlier_version_is_moved_to_the_profiles(
    tmp_path: Path, in_process: list[ThreadServer]
) -> None:
    home = tmp_path / "home"
    device_id, _url = first_run(home)
    old = home / "demo" / demo.OLD_CLIENT_DIR / "profiles" / "tinh-nguyen-vien-demo"
    old.parent.mkdir(parents=True)
    profile_path(home, "demo").parent.rename(old)
    running = demo.start_demo(home)
    try:
        assert running.reused and running.store.profile.device_id == device_id
        assert [p.name for p in list_profiles(home)] == ["demo"]
    finally:
        running.store.close()
        running.stop()


def test_the_profile_follows_the_server_when_its_port_is_taken(
    tmp_path: Path, in_process: list[ThreadServer]
) -> None:
    home = tmp_path / "home"
    device_id, url = first_run(home)
    port = demo.port_of(url)
    assert port is not None
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", port))
        squatter.listen()
        running = demo.start_demo(home)
    try:
        assert running.reused and running.store.profile.device_id == device_id
        assert running.server.url != url
        assert running.store.profile.server_url == running.server.url
        assert sync_once(running.store).pushed == 1
    finally:
        running.store.close()
        running.stop()


def test_a_laptop_the_server_no_longer_knows_is_enrolled_afresh_and_nothing_is_lost(
    tmp_path: Path, in_process: list[ThreadServer]
) -> None:
    home = tmp_path / "home"
    device_id, _url = first_run(home)
    revoke(home, device_id)
    said: list[str] = []
    running = demo.start_demo(home, say=said.append)
    try:
        assert not running.reused
        assert running.store.profile.device_id != device_id
        assert names(running.store) == []
        assert running.notice is not None
        vi, en = running.notice
        assert "Máy chủ dùng thử không còn nhận ra máy này" in vi and vi in said
        assert "no longer knows this laptop" in en
        # The old profile, with the entry it never sent, is kept where the notice says.
        kept = [p for p in (home / "profiles").iterdir() if p.name.startswith("demo-")]
        assert len(kept) == 1 and str(kept[0]) in vi
        old = Store(kept[0] / "fieldkit.sqlite3")
        try:
            assert old.profile.device_id == device_id
            assert names(old) == ["Lê Thị Hoa", "Trần Thị Bích"]
        finally:
            old.close()
    finally:
        running.store.close()
        running.stop()


def test_a_profile_from_another_server_epoch_is_enrolled_afresh(
    tmp_path: Path, in_process: list[ThreadServer]
) -> None:
    home = tmp_path / "home"
    first_run(home)
    store = Store(profile_path(home, demo.DEMO_PROFILE))
    try:
        store.reset_for_epoch("an-epoch-this-server-never-had")
    finally:
        store.close()
    running = demo.start_demo(home)
    try:
        assert not running.reused
        assert running.notice is not None and "đã được tạo lại" in running.notice[0]
        assert names(running.store) == []
    finally:
        running.store.close()
        running.stop()


def test_an_unreadable_profile_is_moved_aside_and_enrolled_afresh(
    tmp_path: Path, in_process: list[ThreadServer]
) -> None:
    home = tmp_path / "home"
    first_run(home)
    database = profile_path(home, demo.DEMO_PROFILE)
    for path in database.parent.glob("fieldkit.sqlite3*"):
        path.unlink()
    database.write_bytes(b"not a database, just some bytes " * 64)
    running = demo.start_demo(home)
    try:
        assert not running.reused and names(running.store) == []
        assert running.notice is not None
        assert running.notice[0].startswith("Không mở được hồ sơ demo cũ")
        assert running.notice[1].startswith("The old demo profile could not be opened")
        kept = [p for p in (home / "profiles").iterdir() if p.name.startswith("demo-")]
        assert len(kept) == 1 and str(kept[0]) in running.notice[0]
    finally:
        running.store.close()
        running.stop()


def test_free_port_prefers_the_port_of_last_time() -> None:
    port = demo.free_port()
    assert demo.free_port(port) == port
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", port))
        assert demo.free_port(port) != port
    assert demo.port_of("http://127.0.0.1:8123") == 8123
    assert demo.port_of("http://localhost") is None


@pytest.mark.slow
def test_fieldkit_demo_set_up_twice_with_real_server_processes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The real thing: `sync-server seed/serve/units/user add` subprocesses, twice."""
    monkeypatch.setenv(demo.DEMO_ENTRIES_ENV, "20")
    home = tmp_path / "home"
    device_id, url = first_run(home)
    running = demo.start_demo(home)
    try:
        assert running.reused and running.store.profile.device_id == device_id
        assert running.server.url == url
        assert names(running.store) == ["Lê Thị Hoa", "Trần Thị Bích"]
        assert sync_once(running.store).pushed == 1
    finally:
        running.store.close()
        running.stop()
    # Without its database the server is new: the laptop is enrolled afresh, profile kept.
    for path in (home / "demo").glob(demo.SERVER_DB + "*"):
        path.unlink()
    running = demo.start_demo(home)
    try:
        assert not running.reused and running.store.profile.device_id != device_id
        assert names(running.store) == []
    finally:
        running.store.close()
        running.stop()
    assert any(p.name.startswith("demo-") for p in (home / "profiles").iterdir())


@pytest.fixture
def anyio_backend() -> str:
    """Run the async test on asyncio (Textual's loop)."""
    return "asyncio"


@pytest.mark.anyio
async def test_d_on_the_welcome_screen_starts_the_demo_and_opens_its_home(
    tmp_path: Path, in_process: list[ThreadServer]
) -> None:
    # The welcome screen runs the demo's set-up in its own worker and tells the app with a
    # message (the app does not import fieldkit.demo); the app stops the server as it ends.
    from fieldkit.settings import ClientSettings
    from fieldkit.tui.app import FieldkitApp
    from fieldkit.tui.screens.home import HomeScreen
    from fieldkit.tui.screens.welcome import WelcomeScreen
    from tests.tui.conftest import settle

    app = FieldkitApp(ClientSettings(home=tmp_path / "home"), check_seconds=3600)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, WelcomeScreen)
        await pilot.press("d")
        await settle(pilot)
        assert isinstance(app.screen, HomeScreen)
        assert app.store is not None and app.store.profile.user_name == "Phạm Thu Hà"
        assert [p.name for p in list_profiles(tmp_path / "home")] == [demo.DEMO_PROFILE]
        (server,) = in_process
        assert app.store.profile.server_url == server.url
    assert not server.thread.thread.is_alive(), "the demo server stops with the app"
