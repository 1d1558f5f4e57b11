"""Bundles only the laptop can sign: a copy of server.db forges none, old laptops catch up."""

from __future__ import annotations

import gzip
import hashlib
import hmac
import json
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
import sync_chaos
from sqlalchemy import create_engine
from sqlalchemy.orm import Session
from sync_chaos import VILLAGE_A, Served, make_entry, server_entries

from fieldkit.domain import is_masked, wire
from fieldkit.domain.bundle import BundleError, write_bundle
from fieldkit.enrollment import enroll_laptop
from fieldkit.store import EntryStatus, Store
from fieldkit.store.signing import SigningKey, new_signing_key
from fieldkit.sync import sync_once
from sync_server.db.models import Device
from sync_server.services.pushing import PushPipeline
from sync_server.services.server_key import configured_key


def _import(db_url: str, data: bytes) -> wire.PushResponse:
    """What `sync-server import-bundle` does, on the given database."""
    engine = create_engine(db_url)
    try:
        with Session(engine) as session:
            return PushPipeline(db_url, configured_key()).import_bundle(session, data)
    finally:
        engine.dispose()


def _refusal(db_url: str, data: bytes) -> BundleError:
    with pytest.raises(BundleError) as refused:
        _import(db_url, data)
    return refused.value


def _bundle_of(store: Store) -> bytes:
    return write_bundle(
        store.profile.device_id, store.pending_batch(10_000), store.signing_key().signer()
    )


def _device(db_url: str, device_id: str) -> Device:
    engine = create_engine(db_url)
    try:
        with Session(engine) as session:
            device = session.get(Device, device_id)
            assert device is not None
            session.expunge(device)
            return device
    finally:
        engine.dispose()


def _hmac_bundle(device: Device, mutations: list[wire.Mutation]) -> bytes:
    """The old format: HMAC-SHA256 keyed by the token hash the server stores."""
    header = {
        "format": "fieldkit-bundle", "version": 1, "device_id": device.id,
        "created_at": datetime.now(UTC).isoformat(), "count": len(mutations),
    }  # fmt: skip
    body = json.dumps(header).encode() + b"\n"
    body += b"".join(m.model_dump_json().encode() + b"\n" for m in mutations)
    signature = hmac.new(bytes.fromhex(device.token_hash), body, hashlib.sha256).hexdigest()
    return gzip.compress(body + json.dumps({"signature": signature}).encode() + b"\n")


def test_a_new_laptop_sends_its_public_key_when_it_enrolls(served: Served) -> None:
    code = sync_chaos.add_volunteer(served.db_url, VILLAGE_A, "Võ Thị Giang")
    store = enroll_laptop(served.home / "home", served.url, code, "Máy tổ 1")
    served.stores.append(store)
    key = store.signing_key()
    assert key.registered
    assert _device(served.db_url, store.profile.device_id).public_key == key.public_key
    store.save_entries([make_entry(VILLAGE_A) for _ in range(2)])
    response = _import(served.db_url, _bundle_of(store))
    assert [r.status for r in response.results] == [wire.ItemStatus.ACCEPTED] * 2


def test_an_old_laptop_registers_its_key_on_its_next_sync(served: Served) -> None:
    """Enrolled without a key: its bundles are refused (saying to sync) until it syncs once."""
    store = served.laptop(VILLAGE_A)  # enrolls the way laptops did before keys existed
    store.save_entries([make_entry(VILLAGE_A)])
    assert _device(served.db_url, store.profile.device_id).public_key is None
    refused = _refusal(served.db_url, _bundle_of(store))
    assert refused.code == "no_device_key"
    assert "Sync that laptop once while online" in refused.message
    assert "đồng bộ máy đó một lần khi có mạng" in refused.message_vi
    assert server_entries(served.db_url) == {}

    report = sync_once(store)
    assert not report.key_refused and store.signing_key().registered
    device = _device(served.db_url, store.profile.device_id)
    assert device.public_key == store.signing_key().public_key
    store.save_entries([make_entry(VILLAGE_A) for _ in range(3)])
    response = _import(served.db_url, _bundle_of(store))
    assert [r.status for r in response.results] == [wire.ItemStatus.ACCEPTED] * 3
    assert len(server_entries(served.db_url)) == 4


def test_the_key_is_registered_once_and_never_replaced(served: Served) -> None:
    store = served.laptop(VILLAGE_A)
    sync_once(store)
    token = store.profile.token
    other = SigningKey(new_signing_key(), False).public_key
    with httpx.Client(
        base_url=served.url,
        headers={"Authorization": f"Bearer {token}", wire.PROTOCOL_HEADER: wire.PROTOCOL_VERSION},
    ) as http:
        again = http.post(
            "/api/v1/devices/key", json={"public_key": store.signing_key().public_key}
        )
        replaced = http.post("/api/v1/devices/key", json={"public_key": other})
        garbage = http.post("/api/v1/devices/key", json={"public_key": "00" * 32})
    assert again.status_code == 200
    assert replaced.status_code == 409
    assert replaced.json()["error"]["code"] == "device_key_taken"
    assert garbage.status_code in (400, 409)
    assert _device(served.db_url, store.profile.device_id).public_key == (
        store.signing_key().public_key
    )


def test_with_only_server_db_no_bundle_is_accepted(served: Served, tmp_path: Path) -> None:
    """An attacker holds a copy of server.db; the real laptop's later entries all arrive."""
    store = served.laptop(VILLAGE_A)
    store.save_entries([make_entry(VILLAGE_A)])
    sync_once(store)
    stolen = tmp_path / "stolen.sqlite3"
    sync_chaos.backup_sqlite(served.db_url, stolen)  # the file with its WAL, as a copy holds
    device = _device(f"sqlite:///{stolen}", store.profile.device_id)
    forged_entries = [make_entry(VILLAGE_A, full_name="Kẻ Giả Mạo") for _ in range(2)]
    mutations = [
        wire.Mutation(
            mutation_id=device.last_mutation_id + 1 + i,
            entry=e.model_dump(mode="json"),
        )
        for i, e in enumerate(forged_entries)
    ]
    # Everything the database holds about the device, used every way it could sign:
    assert _refusal(served.db_url, _hmac_bundle(device, mutations)).code == "old_version"
    for secret in (device.token_hash, device.public_key or "", new_signing_key()):
        try:
            signer = SigningKey(secret, False).signer()
        except ValueError:
            continue  # not even usable as a private key
        data = write_bundle(device.id, mutations, signer)
        assert _refusal(served.db_url, data).code == "signature"
    assert len(server_entries(served.db_url)) == 1

    saved = store.save_entries([make_entry(VILLAGE_A) for _ in range(3)])
    report = sync_once(store)
    assert (report.accepted, report.rejected) == (3, 0)
    on_server = server_entries(served.db_url)
    assert {str(s.entry_id) for s in saved} <= set(on_server) and len(on_server) == 4


def test_a_reused_mutation_id_is_kept_and_reported_not_acknowledged(served: Served) -> None:
    """Other content already spent the laptop's next mutation id: the laptop keeps its entry."""
    store = served.laptop(VILLAGE_A)
    sync_once(store)
    intruder = make_entry(VILLAGE_A, full_name="Nội Dung Khác")
    with httpx.Client(base_url=served.url) as http:
        pushed = http.post(
            "/api/v1/sync/push",
            json={"mutations": [{"mutation_id": 1, "entry": intruder.model_dump(mode="json")}]},
            headers={
                "Authorization": f"Bearer {store.profile.token}",
                wire.PROTOCOL_HEADER: wire.PROTOCOL_VERSION,
            },
        )
    assert pushed.json()["last_mutation_id"] == 1
    [mine] = store.save_entries([make_entry(VILLAGE_A)])
    report = sync_once(store)
    assert (report.accepted, report.rejected) == (0, 1)
    [item] = report.items
    assert item.status is wire.ItemStatus.REJECTED and item.code == "mutation.reused"
    row = store.get_entry(mine.entry_id)
    assert row is not None and row.status is EntryStatus.REJECTED
    assert not is_masked(row.id_number)  # never taken for stored, so never masked
    [rejected] = store.rejected_items(mine.entry_id)
    assert rejected.code == "mutation.reused" and "CHƯA được lưu" in rejected.message
    assert str(mine.entry_id) not in server_entries(served.db_url)

    fixed = store.update_entry(row.to_entry())  # the volunteer opens and saves it again
    again = sync_once(store)
    assert again.accepted == 1 and str(fixed.entry_id) in server_entries(served.db_url)


def test_fieldkit_sync_says_what_to_do_when_the_key_is_refused(served: Served) -> None:
    """The server holds another key for this laptop: `fieldkit sync` says so, in both languages."""
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
    from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
    from typer.testing import CliRunner

    from fieldkit.cli import app

    store = served.laptop(VILLAGE_A)
    store.save_entries([make_entry(VILLAGE_A)])
    other = Ed25519PrivateKey.generate().public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    with served.session() as session:
        device = session.get(Device, store.profile.device_id)
        assert device is not None
        device.public_key = other.hex()
        session.commit()
    env = {"FIELDKIT_HOME": str(served.home / f"home-{store.profile.device_id}")}
    runner = CliRunner()
    vi = runner.invoke(app, ["sync"], env=env | {"FIELDKIT_LANG": "vi"})
    assert vi.exit_code == 0, vi.output
    assert "1 được nhận" in vi.stdout  # the entry still went over the network
    assert "từ chối gói USB" in vi.stderr and "fieldkit enroll" in vi.stderr
    en = runner.invoke(app, ["sync"], env=env | {"FIELDKIT_LANG": "en"})
    assert en.exit_code == 0, en.output
    assert "refuse USB bundles" in en.stderr and "new enrollment code" in en.stderr
