"""The server key and the epoch: the key lives in a file or the environment, never the database."""

from __future__ import annotations

import hmac
import os
import stat
from pathlib import Path

import pytest
from server_factories import entry_data, make_device, make_geography, minutes, mutations
from sqlalchemy import select
from sqlalchemy.orm import Session

from fieldkit.domain import wire
from sync_server.db.models import ServerMeta
from sync_server.services.entry_rows import citizen_hasher
from sync_server.services.pushing import ingest_mutations
from sync_server.services.secrets import citizen_key, ensure_meta, server_epoch
from sync_server.services.server_key import (
    KeyProblem,
    adopt_stored_key,
    ensure_key,
    load_key,
)
from sync_server.settings import get_settings


def test_citizen_key_is_a_keyed_hash(session: Session) -> None:
    key = citizen_key("k" * 64, "052201000123")
    assert len(key) == 64 and "052201000123" not in key
    assert key != citizen_key("k" * 64, "052201000124")
    assert key != citizen_key("j" * 64, "052201000123")
    ensure_meta(session)  # idempotent: the epoch stays, and no key is stored
    epoch = server_epoch(session)
    assert epoch == server_epoch(session) and len(epoch) == 16
    assert set(session.scalars(select(ServerMeta.key))) == {"epoch"}


@pytest.mark.parametrize(
    "secret", ["", "s", "k" * 63, "0123456789abcdef" * 4, "x" * 65, "bí mật" * 20]
)
def test_batch_hasher_is_the_same_hmac_as_citizen_key(secret: str) -> None:
    key = citizen_hasher(secret)
    for number in ("052201000123", "001099000001", "٣"):
        assert key(number) == citizen_key(secret, number)
        assert key(number) == hmac.new(secret.encode(), number.encode(), "sha256").hexdigest()


@pytest.fixture
def key_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "config" / "secret.key"
    monkeypatch.setenv("SYNC_SERVER_KEY_FILE", str(path))
    monkeypatch.delenv("SYNC_SERVER_SECRET_KEY", raising=False)
    return path


def test_no_key_is_a_refusal_that_says_how_to_make_one(key_path: Path) -> None:
    with pytest.raises(KeyProblem) as refused:
        load_key(get_settings())
    assert "sync-server init" in refused.value.message
    assert "SYNC_SERVER_SECRET_KEY" in refused.value.message
    assert str(key_path) in refused.value.message


def test_ensure_key_makes_a_private_file_once(key_path: Path) -> None:
    made = ensure_key(get_settings())
    assert made.created and made.path == key_path
    assert stat.S_IMODE(key_path.stat().st_mode) == 0o600
    key = load_key(get_settings())
    assert len(key) == 64
    again = ensure_key(get_settings())
    assert not again.created and load_key(get_settings()) == key  # never replaced


def test_the_environment_wins_over_the_file(
    key_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ensure_key(get_settings())
    monkeypatch.setenv("SYNC_SERVER_SECRET_KEY", "from-the-environment")
    assert load_key(get_settings()) == "from-the-environment"
    assert ensure_key(get_settings()).source == "env"


@pytest.mark.parametrize(
    ("content", "mode", "words"),
    [("", 0o600, "empty"), ("abc\n", 0o644, "chmod 600")],
)
def test_a_bad_key_file_is_refused(key_path: Path, content: str, mode: int, words: str) -> None:
    key_path.parent.mkdir(parents=True)
    key_path.write_text(content)
    os.chmod(key_path, mode)
    with pytest.raises(KeyProblem, match=words):
        load_key(get_settings())


def test_a_stored_key_moves_to_the_key_file_unchanged(session: Session, key_path: Path) -> None:
    session.add(ServerMeta(key="secret", value="the-old-stored-key"))
    session.commit()
    moved = adopt_stored_key(session, get_settings())
    session.commit()
    assert moved is not None and moved.created and moved.moved_from_database
    assert load_key(get_settings()) == "the-old-stored-key"  # old citizen keys stay valid
    assert stat.S_IMODE(key_path.stat().st_mode) == 0o600
    assert session.get(ServerMeta, "secret") is None
    assert adopt_stored_key(session, get_settings()) is None


def test_a_stored_key_equal_to_the_configured_one_just_leaves(
    session: Session, key_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SYNC_SERVER_SECRET_KEY", "same")
    session.add(ServerMeta(key="secret", value="same"))
    session.commit()
    moved = adopt_stored_key(session, get_settings())
    session.commit()
    assert moved is not None and moved.source == "env" and not moved.created
    assert not key_path.exists()
    assert session.get(ServerMeta, "secret") is None


def test_a_stored_key_that_differs_from_the_key_file_is_refused(
    session: Session, key_path: Path
) -> None:
    ensure_key(get_settings())
    key = load_key(get_settings())
    session.add(ServerMeta(key="secret", value="another-key"))
    session.commit()
    with pytest.raises(KeyProblem, match="different"):
        adopt_stored_key(session, get_settings())
    session.rollback()
    assert session.get(ServerMeta, "secret") is not None  # nothing lost
    assert load_key(get_settings()) == key


def test_citizens_counted_under_a_stored_key_stay_known_after_it_moves(
    session: Session, key_path: Path
) -> None:
    geo = make_geography(session)
    village = geo.villages[geo.communes[0]][0]
    a, b = make_device(session, village), make_device(session, village)
    # An older database: its key in server_meta, its citizen keys made with it.
    session.add(ServerMeta(key="secret", value="the-stored-key"))
    ingest_mutations(session, a, mutations([entry_data(village, 7)]), "the-stored-key")
    session.commit()
    adopt_stored_key(session, get_settings())
    session.commit()
    again = ingest_mutations(session, b, mutations([entry_data(village, 7, at=minutes(5))]))
    assert again.results[0].status == wire.ItemStatus.DUPLICATE
