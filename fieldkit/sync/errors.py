"""Why a sync stopped, in plain Vietnamese and English; unsent data always stays on the laptop."""

from __future__ import annotations

from fieldkit.errors import UserError

# code -> (Vietnamese, English). Every message says what happened and that data is safe.
SYNC_MESSAGES: dict[str, tuple[str, str]] = {
    "unreachable": (
        "Không kết nối được máy chủ. Dữ liệu vẫn an toàn trên máy, sẽ gửi lại khi có mạng.",
        "Cannot reach the server. Your data is safe on this laptop and will be sent when "
        "there is a connection.",
    ),
    "revoked": (
        "Máy này đã bị thu hồi quyền gửi dữ liệu. Hãy liên hệ cán bộ xã để đăng ký lại. "
        "Dữ liệu chưa gửi vẫn còn trên máy.",
        "This laptop's access was revoked. Ask your commune coordinator to enrol it again. "
        "Unsent data is still on this laptop.",
    ),
    "protocol_too_old": (
        "Phiên bản fieldkit trên máy này quá cũ so với máy chủ. Hãy cập nhật fieldkit; "
        "dữ liệu vẫn an toàn trên máy.",
        "This version of fieldkit is too old for the server. Update fieldkit; your data is "
        "safe on this laptop.",
    ),
    "server_error": (
        "Máy chủ đang gặp lỗi. Dữ liệu vẫn an toàn trên máy, sẽ thử gửi lại sau.",
        "The server is having problems. Your data is safe on this laptop and will be sent "
        "again later.",
    ),
    "gap": (
        "Máy chủ thiếu một phần dữ liệu của máy này (cần gửi lại từ số {expected}). "
        "Hãy báo cán bộ xã; dữ liệu vẫn an toàn trên máy.",
        "The server is missing part of this laptop's data (it expects change {expected}). "
        "Tell your commune coordinator; your data is safe on this laptop.",
    ),
    "bad_request": (
        "Máy chủ từ chối yêu cầu ({detail}). Dữ liệu vẫn an toàn trên máy.",
        "The server refused the request ({detail}). Your data is safe on this laptop.",
    ),
    "enroll_throttled": (
        "Đã nhập sai mã quá nhiều lần. Hãy đợi {detail} phút rồi thử lại với mã đúng.",
        "Too many wrong codes were tried. Wait {detail} min, then try again with the right code.",
    ),
    "enroll_invalid": (
        "Mã đăng ký không đúng, đã dùng hoặc đã hết hạn. Hãy xin cán bộ xã mã mới.",
        "The enrolment code is wrong, already used or expired. Ask your coordinator for a new one.",
    ),
}


class SyncError(UserError):
    """A sync that could not finish; the code says why, the messages tell the volunteer."""

    def __init__(
        self,
        code: str,
        message_vi: str | None = None,
        message_en: str | None = None,
        *,
        detail: str = "",
        expected: int | None = None,
        server_code: str = "",
    ) -> None:
        vi, en = SYNC_MESSAGES.get(code, (code, code))
        params = {"detail": detail or code, "expected": "" if expected is None else expected}
        self.code = code
        self.detail = detail
        self.server_code = server_code
        """The server's error code (e.g. `token_revoked`), when the server refused."""
        self.expected = expected
        self.message_vi = message_vi or vi.format(**params)
        self.message_en = message_en or en.format(**params)
        super().__init__(f"{code}: {self.message_en}" + (f" [{detail}]" if detail else ""))

    def message(self, lang: str = "vi") -> str:
        """The message in the user's language."""
        return self.message_en if lang == "en" else self.message_vi

    @property
    def server_unreachable(self) -> bool:
        """Whether nothing answered (offline), as opposed to a server that refused."""
        return self.code == "unreachable"
