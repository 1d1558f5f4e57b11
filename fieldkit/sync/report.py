"""What one sync did: counts for the status bar and per-item results for the lists."""

from __future__ import annotations

from dataclasses import dataclass, field

from fieldkit.domain import wire
from fieldkit.domain.formatting import format_number

KEY_REFUSED = (
    "Máy chủ đang giữ một khóa ký khác cho máy này nên sẽ từ chối gói USB (tệp .fkb) từ máy "
    "này; đồng bộ qua mạng vẫn chạy bình thường. Muốn dùng gói USB: đồng bộ hết, rồi nhờ điều "
    "phối viên xã cấp mã đăng ký mới và đăng ký lại máy (fieldkit enroll).",
    "The server holds another signing key for this laptop, so it will refuse USB bundles "
    "(.fkb files) from it; syncing over the network still works. To use USB bundles: sync "
    "everything, then ask your commune coordinator for a new enrollment code and enroll this "
    "laptop again (fieldkit enroll).",
)
"""What `fieldkit sync` says when the server refused this laptop's signing key (vi, en)."""
KEY_REFUSED_SHORT = (
    "Máy chủ từ chối khóa ký: gói USB sẽ bị từ chối. Hãy báo điều phối viên.",
    "Server refused the signing key: USB bundles will fail. Tell your coordinator.",
)
"""The same on the app's one-line status bar, which has 78 columns at 80x24 (vi, en)."""


@dataclass
class SyncReport:
    """The outcome of one `sync_once`: pushed, accepted, duplicates, rejected, pulled."""

    pushed: int = 0
    accepted: int = 0
    duplicates: int = 0
    rejected: int = 0
    pulled: int = 0
    batches: int = 0
    retries: int = 0
    epoch_reset: bool = False
    masked: int = 0
    """Acknowledged entries whose full number this sync masked (the server kept them)."""
    key_refused: bool = False
    """The server would not store this laptop's bundle-signing key: its bundles are refused."""
    erased: int = 0
    """Entries whose personal data this sync erased, past the retention period (sync_now)."""
    duration: float = 0.0
    items: list[wire.PushItemResult] = field(default_factory=list)
    retry_reasons: list[str] = field(default_factory=list)

    def add_push(self, sent: int, response: wire.PushResponse) -> None:
        """Count one acknowledged batch."""
        self.pushed += sent
        self.batches += 1
        for item in response.results:
            self.items.append(item)
            if item.status is wire.ItemStatus.ACCEPTED:
                self.accepted += 1
            elif item.status is wire.ItemStatus.DUPLICATE:
                self.duplicates += 1
            else:
                self.rejected += 1

    def summary(self, lang: str = "vi") -> str:
        """One line for the status bar."""
        n = {
            name: format_number(getattr(self, name), lang)
            for name in ("pushed", "accepted", "duplicates", "rejected", "pulled")
        }
        if lang == "en":
            return (
                f"Sent {n['pushed']}: {n['accepted']} accepted, {n['duplicates']} duplicates, "
                f"{n['rejected']} rejected; received {n['pulled']} updates."
            )
        return (
            f"Đã gửi {n['pushed']}: {n['accepted']} được nhận, {n['duplicates']} trùng, "
            f"{n['rejected']} bị từ chối; nhận {n['pulled']} cập nhật."
        )

    def key_note(self, lang: str = "vi", short: bool = False) -> str:
        """What to do about a refused signing key, or "" when the server took it."""
        if not self.key_refused:
            return ""
        vi, en = KEY_REFUSED_SHORT if short else KEY_REFUSED
        return en if lang == "en" else vi
