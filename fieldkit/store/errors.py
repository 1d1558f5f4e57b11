"""Errors the laptop's store raises, with a stable code and Vietnamese and English text."""

from __future__ import annotations

from fieldkit.errors import UserError

MESSAGES: dict[str, tuple[str, str]] = {
    "profile.none": (
        "Máy này chưa được đăng ký. Hãy chạy: fieldkit enroll URL MÃ",
        "This laptop is not enrolled yet. Run: fieldkit enroll URL CODE",
    ),
    "profile.choose": (
        "Có nhiều hồ sơ trên máy này; chọn một bằng --profile TÊN ({names}).",
        "There are several profiles on this laptop; choose one with --profile NAME ({names}).",
    ),
    "profile.unknown": (
        "Không có hồ sơ tên {name} ({names}).",
        "There is no profile named {name} ({names}).",
    ),
    "profile.bad_name": (
        "Tên hồ sơ chỉ gồm chữ thường không dấu, chữ số, - và _ (tối đa 40 ký tự).",
        "A profile name may only hold lower-case ASCII letters, digits, - and _ (at most 40).",
    ),
    "profile.exists": ("Hồ sơ {name} đã tồn tại.", "Profile {name} already exists."),
    "profile.bad_url": (
        "Địa chỉ máy chủ phải bắt đầu bằng http:// hoặc https:// (nhận được: {url}).",
        "The server URL must start with http:// or https:// (got: {url}).",
    ),
    "profile.unreadable": (
        "Không mở được cơ sở dữ liệu của hồ sơ {name}: {detail}",
        "Cannot open the database of profile {name}: {detail}",
    ),
    "entry.unknown": ("Không tìm thấy bản ghi {entry_id}.", "No entry {entry_id}."),
    "entry.erased": (
        "Bản ghi {entry_id} đã bị xoá dữ liệu cá nhân, không sửa được.",
        "Entry {entry_id} has had its personal data erased and cannot be edited.",
    ),
    "entry.not_editable": (
        "Bản ghi {entry_id} đã được máy chủ nhận; chỉ sửa được bản ghi bị trả lại hoặc đang "
        "hẹn quay lại.",
        "The server has entry {entry_id}; only entries returned to fix or still pending can be "
        "edited.",
    ),
    "entry.number_kept": (
        "Số định danh của bản ghi {entry_id} đã được che nên không sửa được; các ô khác vẫn sửa "
        "được.",
        "The identity number of entry {entry_id} is masked and cannot be changed; every other "
        "field can.",
    ),
    "entry.exists": ("Bản ghi {entry_id} đã được lưu.", "Entry {entry_id} is already saved."),
    "pin.format": ("Mã PIN phải có 4–12 chữ số.", "The PIN must have 4–12 digits."),
}


class StoreError(UserError):
    """A problem the user can act on (no profile, unknown entry …), never a traceback."""

    def __init__(self, code: str, **params: str) -> None:
        self.code = code
        self.params = params
        super().__init__(self.message("en"))

    def message(self, lang: str = "vi") -> str:
        """The text in the user's language."""
        vi, en = MESSAGES.get(self.code, (self.code, self.code))
        template = en if lang == "en" else vi
        try:
            return template.format(**self.params)
        except (KeyError, IndexError):
            return template

    @property
    def message_vi(self) -> str:
        """The Vietnamese text."""
        return self.message("vi")

    @property
    def message_en(self) -> str:
        """The English text."""
        return self.message("en")
