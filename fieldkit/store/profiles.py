"""Profiles: one SQLite file per enrolled volunteer under $FIELDKIT_HOME/profiles/<name>/."""

from __future__ import annotations

import contextlib
import re
import shutil
import sqlite3
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.exc import SQLAlchemyError

from fieldkit.domain import fold
from fieldkit.domain.wire import EnrollResponse
from fieldkit.profile_files import DB_NAME
from fieldkit.store.errors import StoreError
from fieldkit.store.store import Store

LAST_USED = "last_profile"
_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,39}$")


@dataclass(frozen=True)
class ProfileInfo:
    """A profile on this laptop, as a chooser lists it."""

    name: str
    path: Path
    last_used: bool


def check_profile_name(name: str) -> str:
    """Return the name if it is a safe directory name, else raise StoreError."""
    if not _NAME.match(name):
        raise StoreError("profile.bad_name")
    return name


def profile_name_for(user_name: str, home: Path) -> str:
    """A free, safe profile name derived from the volunteer's name ('Lê Thị Đào' → 'le-thi-dao')."""
    base = re.sub(r"[^a-z0-9]+", "-", fold(user_name)).strip("-")[:32] or "profile"
    name, n = base, 2
    while (home / "profiles" / name).exists():
        name, n = f"{base}-{n}", n + 1
    return name


def profile_path(home: Path, name: str) -> Path:
    """Where a profile's database lives."""
    return home / "profiles" / check_profile_name(name) / DB_NAME


def _last_used(home: Path) -> str | None:
    try:
        name = (home / LAST_USED).read_text(encoding="utf-8").strip()
    except (OSError, UnicodeDecodeError):
        return None
    return name if _NAME.match(name) else None


def _mark_used(home: Path, name: str) -> None:
    # Remembering the last profile is a convenience, never a failure.
    with contextlib.suppress(OSError):
        (home / LAST_USED).write_text(name + "\n", encoding="utf-8")


def list_profiles(home: Path) -> list[ProfileInfo]:
    """Every profile with a database file, by name."""
    root = home / "profiles"
    if not root.is_dir():
        return []
    last = _last_used(home)
    return [
        ProfileInfo(name=d.name, path=d / DB_NAME, last_used=d.name == last)
        for d in sorted(root.iterdir())
        if d.is_dir() and _NAME.match(d.name) and (d / DB_NAME).is_file()
    ]


def create_profile(
    home: Path,
    enroll: EnrollResponse,
    server_url: str,
    pin: str | None = None,
    name: str | None = None,
    signing_key: str | None = None,
) -> Store:
    """Create a profile's private database from an enrollment and make it the last used.

    `signing_key` is the private key whose public half was sent with the enrollment (without
    one, the profile makes its own and registers it on its first sync).
    """
    name = (
        check_profile_name(name) if name is not None else profile_name_for(enroll.user_name, home)
    )
    path = profile_path(home, name)
    if path.exists():
        raise StoreError("profile.exists", name=name)
    home.mkdir(parents=True, exist_ok=True, mode=0o700)
    store = Store(path)
    try:
        store.init_profile(name, enroll, server_url, signing_key)
        if pin is not None:
            store.set_pin(pin)
    except BaseException:
        store.close()
        shutil.rmtree(path.parent, ignore_errors=True)
        raise
    _mark_used(home, name)
    return store


def open_store(home: Path, profile: str | None = None) -> Store:
    """Open a profile's store (None: the only one, else the last used)."""
    profiles = list_profiles(home)
    names = ", ".join(p.name for p in profiles)
    if profile is None:
        if not profiles:
            raise StoreError("profile.none")
        if len(profiles) == 1:
            chosen = profiles[0].name
        else:
            last = [p.name for p in profiles if p.last_used]
            if not last:
                raise StoreError("profile.choose", names=names)
            chosen = last[0]
    else:
        chosen = check_profile_name(profile)
        if chosen not in {p.name for p in profiles}:
            raise StoreError("profile.unknown", name=chosen, names=names or "—")
    try:
        store = Store(profile_path(home, chosen))
    except (SQLAlchemyError, sqlite3.Error) as exc:
        raise StoreError("profile.unreadable", name=chosen, detail=_detail(exc)) from exc
    try:
        _ = store.profile  # fail now, not later, if the profile row is missing
    except (SQLAlchemyError, sqlite3.Error) as exc:
        store.close()
        raise StoreError("profile.unreadable", name=chosen, detail=_detail(exc)) from exc
    except StoreError:
        store.close()
        raise
    _mark_used(home, chosen)
    return store


def _detail(exc: BaseException) -> str:
    """The database's own words, without SQLAlchemy's framing."""
    original = getattr(exc, "orig", None) or exc
    return str(original).splitlines()[0][:200]
