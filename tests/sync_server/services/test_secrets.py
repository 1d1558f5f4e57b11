"""The HMAC secret and the epoch: stored once, overridable, never the number itself."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from sync_server.services.secrets import citizen_key, ensure_meta, server_epoch, server_secret


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
