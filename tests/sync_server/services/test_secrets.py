"""The HMAC secret and the epoch: stored once, overridable, never the number itself."""

from __future__ import annotations

import hmac

import pytest
from sqlalchemy.orm import Session

from sync_server.db.models import ServerMeta
from sync_server.services.entry_rows import citizen_hasher
from sync_server.services.secrets import (
    StoredSecret,
    citizen_key,
    ensure_meta,
    server_epoch,
    server_secret,
)


def test_citizen_key_is_a_keyed_hash(session: Session, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SYNC_SERVER_SECRET_KEY", raising=False)
    key = citizen_key(session, "052201000123")
    assert len(key) == 64 and "052201000123" not in key
    assert key == citizen_key(server_secret(session), "052201000123")
    assert key != citizen_key(session, "052201000124")
    ensure_meta(session)  # idempotent: the secret and epoch stay
    assert citizen_key(session, "052201000123") == key
    epoch = server_epoch(session)
    assert epoch == server_epoch(session) and len(epoch) == 16
    monkeypatch.setenv("SYNC_SERVER_SECRET_KEY", "from-the-environment")
    assert citizen_key(session, "052201000123") != key
    assert citizen_key(session, "052201000123") == citizen_key(
        "from-the-environment", "052201000123"
    )


@pytest.mark.parametrize(
    "secret", ["", "s", "k" * 63, "0123456789abcdef" * 4, "x" * 65, "bí mật" * 20]
)
def test_batch_hasher_is_the_same_hmac_as_citizen_key(secret: str) -> None:
    key = citizen_hasher(secret)
    for number in ("052201000123", "001099000001", "٣"):
        assert key(number) == citizen_key(secret, number)
        assert key(number) == hmac.new(secret.encode(), number.encode(), "sha256").hexdigest()


def test_a_process_reads_the_stored_secret_once(
    session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("SYNC_SERVER_SECRET_KEY", raising=False)
    stored = StoredSecret()
    secret = stored.get(session)
    assert secret == server_secret(session)
    row = session.get(ServerMeta, "secret")
    assert row is not None
    row.value = "changed-behind-its-back"
    session.commit()
    assert stored.get(session) == secret  # read once: the stored secret never changes
    monkeypatch.setenv("SYNC_SERVER_SECRET_KEY", "from-the-environment")
    assert stored.get(session) == "from-the-environment"  # the override is looked up each time
