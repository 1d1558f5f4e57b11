"""Sneakernet bundles: round trip, and every way a file can be broken or forged is refused."""

from __future__ import annotations

import gzip
import json
import zlib
from collections.abc import Callable

import pytest
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from fieldkit.domain.bundle import BundleError, Signer, read_bundle, write_bundle
from fieldkit.domain.wire import Mutation
from fieldkit.store import Store
from fieldkit.store.signing import SigningKey, new_signing_key

DEVICE = "dev-1"
LAPTOP = SigningKey(new_signing_key(), registered=True)
KEY: Signer = LAPTOP.signer()


def verifier(public_key: str, device: str = DEVICE) -> Callable[[str, bytes, bytes], None]:
    """What the server does: the device's registered public key checks the signature."""

    def verify(device_id: str, body: bytes, signature: bytes) -> None:
        if device_id != device:
            raise BundleError("unknown_device")
        try:
            Ed25519PublicKey.from_public_bytes(bytes.fromhex(public_key)).verify(signature, body)
        except InvalidSignature as exc:
            raise BundleError("signature") from exc

    return verify


lookup = verifier(LAPTOP.public_key)


def mutations(n: int = 3) -> list[Mutation]:
    return [
        Mutation(mutation_id=i, entry={"id": f"e{i}", "full_name": "Nguyễn Văn A"}, base_rev=None)
        for i in range(1, n + 1)
    ]


def lines_of(data: bytes) -> list[bytes]:
    return gzip.decompress(data).split(b"\n")[:-1]


def regzip(lines: list[bytes]) -> bytes:
    return gzip.compress(b"\n".join(lines) + b"\n")


def code_of(data: bytes, max_bytes: int | None = None) -> str:
    with pytest.raises(BundleError) as info:
        if max_bytes is None:
            read_bundle(data, lookup)
        else:
            read_bundle(data, lookup, max_bytes=max_bytes)
    assert info.value.message and info.value.message_vi
    return info.value.code


def test_round_trip_keeps_order_and_unicode() -> None:
    data = write_bundle(DEVICE, mutations(), KEY)
    bundle = read_bundle(data, lookup)
    assert bundle.device_id == DEVICE
    assert [m.mutation_id for m in bundle.mutations] == [1, 2, 3]
    assert bundle.mutations[0].entry["full_name"] == "Nguyễn Văn A"
    header = json.loads(lines_of(data)[0])
    assert header["format"] == "fieldkit-bundle" and header["version"] == 2
    assert header["scheme"] == "ed25519"
    assert header["count"] == 3 and header["device_id"] == DEVICE
    assert set(json.loads(lines_of(data)[-1])) == {"signature"}


def test_empty_bundle_is_valid() -> None:
    assert read_bundle(write_bundle(DEVICE, [], KEY), lookup).mutations == []


def test_a_changed_byte_breaks_the_signature() -> None:
    lines = lines_of(write_bundle(DEVICE, mutations(), KEY))
    lines[1] = lines[1].replace(b'"e1"', b'"e9"')
    assert code_of(regzip(lines)) == "signature"


def test_dropped_or_reordered_lines_break_the_signature() -> None:
    lines = lines_of(write_bundle(DEVICE, mutations(), KEY))
    assert code_of(regzip([lines[0], lines[2], lines[1], lines[3], lines[4]])) == "signature"
    assert code_of(regzip([lines[0], lines[1], lines[4]])) == "signature"


def test_a_bundle_signed_with_another_key_is_refused() -> None:
    forged = write_bundle(DEVICE, mutations(), SigningKey(new_signing_key(), True).signer())
    assert code_of(forged) == "signature"


def test_unknown_device_is_refused() -> None:
    assert code_of(write_bundle("other", mutations(), KEY)) == "unknown_device"


def test_a_signature_that_is_not_hex_is_refused() -> None:
    lines = lines_of(write_bundle(DEVICE, mutations(), KEY))
    for bad in ("é" * 128, "zz" * 64, "ab" * 63, "ab" * 65):
        lines[-1] = json.dumps({"signature": bad}, ensure_ascii=False).encode()
        assert code_of(regzip(lines)) == "signature"


def test_a_version_1_bundle_says_to_export_again() -> None:
    """Version 1 was signed with a key the server stores: refused with what to do instead."""
    lines = lines_of(write_bundle(DEVICE, mutations(), KEY))
    header = json.loads(lines[0])
    header["version"] = 1
    with pytest.raises(BundleError) as info:
        read_bundle(regzip([json.dumps(header).encode(), *lines[1:]]), lookup)
    assert info.value.code == "old_version"
    assert "export the bundle again" in info.value.message
    assert "xuất gói lại" in info.value.message_vi


def test_not_gzip_and_empty_input() -> None:
    assert code_of(b"") == "gzip"
    assert code_of(b"plain text, not gzip") == "gzip"
    assert code_of(b"\x1f\x8b\x08\x00garbage-after-magic") in {"gzip", "truncated"}


def test_truncated_files_are_refused() -> None:
    data = write_bundle(DEVICE, mutations(50), KEY)
    assert code_of(data[: len(data) // 2]) == "truncated"
    lines = lines_of(data)
    assert code_of(regzip(lines[:-1])) in {"truncated", "json"}  # signature line gone
    assert code_of(gzip.compress(b"\n".join(lines))) == "truncated"  # no final newline


def test_decompressed_size_is_capped() -> None:
    bomb = gzip.compress(b"0" * 5_000_000)
    assert len(bomb) < 10_000
    assert code_of(bomb, max_bytes=1_000_000) == "too_large"


def test_bad_json_bad_header_and_bad_version() -> None:
    lines = lines_of(write_bundle(DEVICE, mutations(), KEY))
    assert code_of(regzip([b"{not json", *lines[1:]])) == "json"
    assert code_of(regzip([b'["a list"]', *lines[1:]])) == "json"
    assert code_of(regzip([b'{"format": "other"}', *lines[1:]])) == "format"
    header = json.loads(lines[0])
    header["version"] = 3
    assert code_of(regzip([json.dumps(header).encode(), *lines[1:]])) == "version"
    header["version"], header["device_id"] = 2, ""
    assert code_of(regzip([json.dumps(header).encode(), *lines[1:]])) == "format"


def test_signed_but_malformed_content_is_still_refused() -> None:
    """A device that signs garbage (a bug, or its own token leaked) cannot smuggle it in."""

    def signed(body_lines: list[bytes]) -> bytes:
        body = b"\n".join(body_lines) + b"\n"
        sig = KEY(body).hex()
        return gzip.compress(body + json.dumps({"signature": sig}).encode() + b"\n")

    header = {"format": "fieldkit-bundle", "version": 2, "device_id": DEVICE,
              "created_at": "2026-01-01T00:00:00+00:00", "count": 1,
              "scheme": "ed25519"}  # fmt: skip
    head = json.dumps(header).encode()
    assert code_of(signed([head, b'{"mutation_id": 0, "entry": {}}'])) == "mutation"
    assert code_of(signed([head, b'{"mutation_id": 1, "entry": {}, "x": 1}'])) == "mutation"
    assert code_of(signed([head, b"\xff\xfe"])) == "json"
    assert code_of(signed([head])) == "count"


def test_concatenated_gzip_members_are_read() -> None:
    data = gzip.decompress(write_bundle(DEVICE, mutations(), KEY))
    half = len(data) // 2
    two_members = gzip.compress(data[:half]) + gzip.compress(data[half:])
    assert len(read_bundle(two_members, lookup).mutations) == 3
    assert code_of(two_members + b"junk") == "gzip"


def test_a_raw_deflate_stream_is_not_a_bundle() -> None:
    assert code_of(zlib.compress(b"hello")) == "gzip"


def test_bundle_of_a_stores_outbox(store: Store) -> None:
    from fieldkit_store_helpers import make_entry

    store.save_entries([make_entry(), make_entry(service="dvc_account")])
    profile, key = store.profile, store.signing_key()
    data = write_bundle(profile.device_id, store.pending_batch(1000), key.signer())
    bundle = read_bundle(data, verifier(key.public_key, profile.device_id))
    assert [m.mutation_id for m in bundle.mutations] == [1, 2]
