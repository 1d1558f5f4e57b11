"""What one sync did: counts for the status bar and per-item results for the lists."""

from __future__ import annotations

from dataclasses import dataclass, field

from fieldkit.domain import wire
from fieldkit.domain.formatting import format_number


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
    key_refused: bool = False
    """The server would not store this laptop's bundle-signing key: its bundles are refused."""
    """Acknowledged entries whose full number this sync masked (the server kept them)."""
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
