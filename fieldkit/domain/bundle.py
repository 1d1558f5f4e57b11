"""Sneakernet bundles: the outbox as signed, gzip'd JSON lines a coordinator imports.

Line 1 is a header `{"format": "fieldkit-bundle", "version": 2, "device_id", "created_at",
"count", "scheme": "ed25519"}`, then one `wire.Mutation` per line, and last
`{"signature": hex}`: an Ed25519 signature over every preceding (uncompressed) byte, made with
the private key only the laptop holds; the server keeps the public half on the device's row.
Whoever holds a copy of the server's database therefore cannot make a bundle the server
accepts. This module describes the format only: the caller signs and verifies (the domain
carries no cryptography library).
"""

from __future__ import annotations

import gzip
import json
import zlib
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from fieldkit.domain.wire import Mutation

FORMAT = "fieldkit-bundle"
VERSION = 2
SCHEME = "ed25519"
SIGNATURE_BYTES = 64
"""An Ed25519 signature's length; the trailer carries it as 128 hex digits."""
OLD_VERSIONS = frozenset({1})
"""Formats signed with a key the server stores: refused, the laptop must export again."""
# A bundle holds at most this many decompressed bytes (a gzip bomb stops here).
MAX_DECOMPRESSED_BYTES = 64 * 1024 * 1024
MAX_MUTATIONS = 200_000
_CHUNK = 64 * 1024

BUNDLE_MESSAGES: dict[str, tuple[str, str]] = {
    "gzip": ("Tệp không phải gói gzip hợp lệ.", "The file is not a valid gzip bundle."),
    "too_large": (
        "Gói quá lớn khi giải nén (tối đa {limit} byte).",
        "The bundle is too large once decompressed (at most {limit} bytes).",
    ),
    "truncated": ("Gói bị cắt cụt hoặc thiếu chữ ký.", "The bundle is truncated or unsigned."),
    "json": ("Dòng {line} của gói không phải JSON hợp lệ.", "Line {line} is not valid JSON."),
    "format": ("Tệp không phải gói dữ liệu fieldkit.", "The file is not a fieldkit bundle."),
    "version": (
        "Phiên bản gói {version} không được hỗ trợ.",
        "Bundle version {version} is not supported.",
    ),
    "old_version": (
        "Gói này được ký theo cách cũ mà máy chủ không còn tin. Hãy cập nhật fieldkit trên "
        "máy tính, đồng bộ một lần khi có mạng rồi xuất gói lại.",
        "This bundle is signed the old way, which the server no longer trusts. Update fieldkit "
        "on the laptop, sync once while online, then export the bundle again.",
    ),
    "no_device_key": (
        "Máy gửi gói chưa đăng ký khóa ký với máy chủ. Hãy đồng bộ máy đó một lần khi có "
        "mạng rồi xuất gói lại.",
        "The bundle's laptop has not registered its signing key with the server yet. Sync "
        "that laptop once while online, then export the bundle again.",
    ),
    "unknown_device": (
        "Máy gửi gói không được biết hoặc đã bị thu hồi.",
        "The bundle's device is unknown or revoked.",
    ),
    "signature": (
        "Chữ ký của gói không đúng: gói đã bị sửa hoặc không phải của máy này.",
        "The bundle's signature is wrong: it was altered or is not from this device.",
    ),
    "mutation": (
        "Dòng {line} của gói không phải một thay đổi hợp lệ.",
        "Line {line} is not a valid change.",
    ),
    "count": (
        "Gói khai {declared} thay đổi nhưng có {actual}.",
        "The bundle declares {declared} changes but holds {actual}.",
    ),
}


class BundleError(Exception):
    """A bundle that cannot be imported; `code` is stable, `message` is English."""

    def __init__(self, code: str, message: str | None = None, **params: Any) -> None:
        vi, en = BUNDLE_MESSAGES.get(code, (code, code))
        self.code = code
        self.message = message or en.format(**params)
        self.message_vi = vi.format(**params) if code in BUNDLE_MESSAGES else self.message
        super().__init__(self.message)


class BundleHeader(BaseModel):
    """The first line of a bundle."""

    model_config = ConfigDict(extra="ignore")

    format: Literal["fieldkit-bundle"]
    version: int
    device_id: str = Field(min_length=1, max_length=64)
    created_at: datetime
    count: int = Field(ge=0, le=MAX_MUTATIONS)
    scheme: Literal["ed25519"]


class Bundle(BaseModel):
    """A verified bundle: who made it, when, and its mutations in order."""

    device_id: str
    created_at: datetime
    mutations: list[Mutation]


Signer = Callable[[bytes], bytes]
"""Signs the bundle's bytes with the laptop's private key (64 bytes back)."""
Verifier = Callable[[str, bytes, bytes], None]
"""Checks (device id, signed bytes, signature); raises BundleError when it does not hold."""


def signature_bytes(signature: object) -> bytes:
    """The trailer's signature as bytes; BundleError unless it is 128 hex digits."""
    if not isinstance(signature, str) or len(signature) != 2 * SIGNATURE_BYTES:
        raise BundleError("signature")
    try:
        return bytes.fromhex(signature)
    except ValueError as exc:  # non-hex, including non-ASCII, characters
        raise BundleError("signature") from exc


def _line(data: dict[str, Any]) -> bytes:
    return json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode() + b"\n"


def write_bundle(device_id: str, mutations: Sequence[Mutation], sign: Signer) -> bytes:
    """The signed, gzip'd JSON-lines bundle of these mutations."""
    header = {
        "format": FORMAT,
        "version": VERSION,
        "device_id": device_id,
        "created_at": datetime.now(UTC).isoformat(),
        "count": len(mutations),
        "scheme": SCHEME,
    }
    body = _line(header) + b"".join(m.model_dump_json().encode() + b"\n" for m in mutations)
    signature = sign(body)
    if len(signature) != SIGNATURE_BYTES:
        raise ValueError("an Ed25519 signature is 64 bytes")
    return gzip.compress(body + _line({"signature": signature.hex()}), mtime=0)


def _decompress(data: bytes, limit: int) -> bytes:
    """Gunzip (every member) without ever holding more than limit bytes."""
    out = bytearray()
    rest = data
    if not rest:
        raise BundleError("gzip")
    while rest:
        inflater = zlib.decompressobj(wbits=31)
        try:
            while True:
                chunk = inflater.decompress(rest, _CHUNK)
                out += chunk
                if len(out) > limit:
                    raise BundleError("too_large", limit=limit)
                rest = inflater.unconsumed_tail
                if inflater.eof or (not chunk and not rest):
                    break
        except zlib.error as exc:
            raise BundleError("gzip") from exc
        if not inflater.eof:
            raise BundleError("truncated")
        rest = inflater.unused_data.lstrip(b"\x00")  # some tools pad members with zeros
    return bytes(out)


def _json(raw: bytes, line: int) -> dict[str, Any]:
    try:
        value = json.loads(raw)
    except (ValueError, UnicodeDecodeError, RecursionError) as exc:
        # RecursionError: nesting deeper than the interpreter's stack (a hostile file).
        raise BundleError("json", line=line) from exc
    if not isinstance(value, dict):
        raise BundleError("json", line=line)
    return value


def read_bundle(data: bytes, verify: Verifier, max_bytes: int = MAX_DECOMPRESSED_BYTES) -> Bundle:
    """Verify and parse a bundle; `verify` checks the signature against the device's key."""
    text = _decompress(data, max_bytes)
    if not text.endswith(b"\n"):
        raise BundleError("truncated")
    lines = text[:-1].split(b"\n")
    if len(lines) < 2:
        raise BundleError("truncated")
    head = _json(lines[0], 1)
    if head.get("format") != FORMAT:
        raise BundleError("format")
    if isinstance(head.get("version"), int) and head["version"] in OLD_VERSIONS:
        raise BundleError("old_version")
    if head.get("version") != VERSION:
        raise BundleError("version", version=str(head.get("version"))[:20])
    try:
        header = BundleHeader.model_validate(head)
    except ValidationError as exc:
        raise BundleError("format") from exc
    trailer = _json(lines[-1], len(lines))
    if set(trailer) != {"signature"} or not isinstance(trailer["signature"], str):
        raise BundleError("truncated")
    signature = signature_bytes(trailer["signature"])
    verify(header.device_id, text[: len(text) - len(lines[-1]) - 1], signature)
    mutations: list[Mutation] = []
    for number, raw in enumerate(lines[1:-1], start=2):
        try:
            mutations.append(Mutation.model_validate(_json(raw, number)))
        except ValidationError as exc:
            raise BundleError("mutation", line=number) from exc
    if len(mutations) != header.count:
        raise BundleError("count", declared=header.count, actual=len(mutations))
    return Bundle(device_id=header.device_id, created_at=header.created_at, mutations=mutations)
