"""What people read on the staff pages, in Vietnamese (the default) and English.

Templates call `_("English text")`; `VI` maps every such text to its Vietnamese. The language
comes from the `fk_lang` cookie (set by the switch in the page header), so it holds before
sign-in too. Numbers, percentages and dates use fieldkit.domain.formatting, like the CLI.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable
from datetime import date, datetime

from fieldkit.domain.formatting import format_date, format_datetime, format_number, format_percent
from sync_server.web.words_commune import COMMUNE_VI
from sync_server.web.words_province import PROVINCE_VI
from sync_server.web.words_report import REPORT_VI

LANGS = ("vi", "en")
DEFAULT_LANG = "vi"
LANG_COOKIE = "fk_lang"

VI: dict[str, str] = {
    "fieldkit — staff": "fieldkit — cán bộ",
    "Community digital-technology teams": "Tổ công nghệ số cộng đồng",
    "Skip to content": "Chuyển đến nội dung",
    "Sign in": "Đăng nhập",
    "Sign out": "Đăng xuất",
    "Signed in as": "Đang đăng nhập:",
    "Login name or user number": "Tên đăng nhập hoặc mã người dùng",
    "Password": "Mật khẩu",
    "Wrong login name or password.": "Sai tên đăng nhập hoặc mật khẩu.",
    "Volunteers do not sign in here: they enroll a laptop with a code from their coordinator.": (
        "Tình nguyện viên không đăng nhập ở đây: hãy đăng ký máy tính bằng mã do cán bộ xã cấp."
    ),
    "Your session has ended. Please sign in again.": (
        "Phiên làm việc đã kết thúc. Vui lòng đăng nhập lại."
    ),
    "You have signed out.": "Bạn đã đăng xuất.",
    "For commune and province staff. Ask your coordinator or the province for an account.": (
        "Dành cho cán bộ xã và tỉnh. Hãy hỏi cán bộ xã hoặc tỉnh để được cấp tài khoản."
    ),
    "Tiếng Việt": "Tiếng Việt",
    "English": "English",
    "Language": "Ngôn ngữ",
    "Change password": "Đổi mật khẩu",
    "Choose a new password": "Chọn mật khẩu mới",
    "Your password was given to you once: choose your own before you continue.": (
        "Mật khẩu hiện tại chỉ dùng một lần: hãy chọn mật khẩu của riêng bạn trước khi tiếp tục."
    ),
    "Current password": "Mật khẩu hiện tại",
    "New password": "Mật khẩu mới",
    "New password again": "Nhập lại mật khẩu mới",
    "At least 10 characters.": "Ít nhất 10 ký tự.",
    "Save": "Lưu",
    "Your password was changed.": "Đã đổi mật khẩu.",
    "The two new passwords differ.": "Hai lần nhập mật khẩu mới không khớp.",
    "The current password is not right.": "Mật khẩu hiện tại không đúng.",
    "Choose at least 10 characters.": "Hãy chọn ít nhất 10 ký tự.",
    "Choose at most 200 characters.": "Hãy chọn nhiều nhất 200 ký tự.",
    "A password cannot hold control characters.": "Mật khẩu không được chứa ký tự điều khiển.",
    "Choose something other than your name.": "Hãy chọn mật khẩu khác tên của bạn.",
    "Choose a password different from the current one.": "Hãy chọn mật khẩu khác mật khẩu cũ.",
    "Reset password": "Đặt lại mật khẩu",
    "Give {name} a one-time password?": "Cấp mật khẩu dùng một lần cho {name}?",
    "Their current password and sessions stop working at once.": (
        "Mật khẩu và các phiên đăng nhập hiện tại của họ sẽ ngừng hoạt động ngay."
    ),
    "One-time password for {name}": "Mật khẩu dùng một lần của {name}",
    "Shown only once: hand it over now. They choose their own at their next sign-in.": (
        "Chỉ hiển thị một lần: hãy trao ngay. Họ sẽ tự chọn mật khẩu khi đăng nhập lần sau."
    ),
    "Volunteers have no password: hand out an enrollment code.": (
        "Tình nguyện viên không có mật khẩu: hãy cấp mã đăng ký."
    ),
    "You may not reset this person's password.": "Bạn không được đặt lại mật khẩu của người này.",
    "Login name": "Tên đăng nhập",
    "Period": "Kỳ",
    "Show": "Xem",
    "Provinces": "Tỉnh / thành phố",
    "Units": "Đơn vị",
    "Unit": "Đơn vị",
    "Code": "Mã",
    "Name": "Tên",
    "Level": "Cấp",
    "province": "tỉnh",
    "commune": "xã / phường",
    "village": "thôn / tổ",
    "Home": "Trang chủ",
    "Service": "Dịch vụ",
    "Achieved": "Đạt",
    "Quota": "Chỉ tiêu",
    "Percent of quota": "Tỷ lệ so với chỉ tiêu",
    "Waiting for review": "Chờ duyệt",
    "Approved": "Đã duyệt",
    "Rejected": "Bị từ chối",
    "Figures for {period}": "Số liệu năm {period}",
    "This page will show the unit's figures against its quotas.": (
        "Trang này sẽ hiển thị số liệu của đơn vị so với chỉ tiêu."
    ),
    "No figures yet for this period.": "Chưa có số liệu cho kỳ này.",
    "Print": "In",
    "Go back": "Quay lại",
    "Go to your page": "Về trang của bạn",
    "Technical details": "Chi tiết kỹ thuật",
    "Not allowed": "Không được phép",
    "This page is outside what your account may see.": (
        "Trang này nằm ngoài phạm vi tài khoản của bạn được xem."
    ),
    "If you need it, ask the province or an administrator to widen your access.": (
        "Nếu cần, hãy đề nghị tỉnh hoặc quản trị viên mở rộng quyền của bạn."
    ),
    "Page not found": "Không tìm thấy trang",
    "There is no page at this address. Check the link, or start again from your page.": (
        "Không có trang nào ở địa chỉ này. Hãy kiểm tra liên kết hoặc bắt đầu lại từ trang của bạn."
    ),
    "The form has expired": "Biểu mẫu đã hết hạn",
    "Nothing was changed. Reload the page and send the form again.": (
        "Chưa có gì thay đổi. Hãy tải lại trang và gửi lại biểu mẫu."
    ),
    "Something is wrong with the request": "Yêu cầu không hợp lệ",
    "Nothing was changed. Check what you typed and try again.": (
        "Chưa có gì thay đổi. Hãy kiểm tra thông tin đã nhập và thử lại."
    ),
    "Too many attempts": "Quá nhiều lần thử",
    "Nothing was changed. Wait a while, then try again.": (
        "Chưa có gì thay đổi. Hãy đợi một lúc rồi thử lại."
    ),
    "Too many failed sign-ins. Wait a while, then try again.": (
        "Đăng nhập sai quá nhiều lần. Hãy đợi một lúc rồi thử lại."
    ),
    "The server is busy": "Máy chủ đang bận",
    "Nothing was lost. Wait a moment and try again.": (
        "Không mất dữ liệu. Hãy đợi một lát rồi thử lại."
    ),
    "Something went wrong": "Đã có lỗi xảy ra",
    "Nothing was saved. Try again; if it keeps happening, tell your technician.": (
        "Chưa có gì được lưu. Hãy thử lại; nếu vẫn lỗi, hãy báo kỹ thuật viên."
    ),
    "Volunteers have no staff pages: use the fieldkit app on your laptop.": (
        "Tình nguyện viên không có trang cán bộ: hãy dùng ứng dụng fieldkit trên máy tính."
    ),
    "Staff pages": "Trang cán bộ",
    "API documentation": "Tài liệu API",
    "The period must be a year, such as 2026.": "Kỳ phải là một năm, ví dụ 2026.",
}


VI.update(COMMUNE_VI)
VI.update(PROVINCE_VI)
VI.update(REPORT_VI)


_NFC: dict[str, str] = {}
"""Vietnamese texts already looked up, in NFC: a page asks for the same words once per cell."""


def translate(text: str, lang: str) -> str:
    """The text in a language (English is the key itself; unknown texts stay as they are)."""
    if lang != "vi":
        return text
    found = _NFC.get(text)
    if found is None:
        found = _NFC[text] = unicodedata.normalize("NFC", VI.get(text, text))
    return found


def pick_lang(value: str | None) -> str:
    """A supported language from a cookie or form value, else the default (Vietnamese)."""
    return value if value in LANGS else DEFAULT_LANG


def gettext_for(lang: str) -> Callable[..., str]:
    """`_("text", name=…)` for templates: translated, then `{name}` fields filled."""

    def gettext(text: str, **fields: object) -> str:
        translated = translate(text, lang)
        return translated.format(**fields) if fields else translated

    return gettext


def number(value: int | float | None, lang: str) -> str:
    """1.234 in Vietnamese, 1,234 in English; an em dash for no value."""
    if value is None:
        return "—"
    return format_number(int(value), lang)


def percent(value: float | None, lang: str) -> str:
    """12,5 % in Vietnamese, 12.5% in English; an em dash when there is no quota."""
    return format_percent(value, lang)


def day(value: date | datetime | None) -> str:
    """dd/mm/yyyy in Asia/Ho_Chi_Minh."""
    return format_date(value) if value is not None else "—"


def moment(value: datetime | None) -> str:
    """dd/mm/yyyy HH:MM in Asia/Ho_Chi_Minh."""
    return format_datetime(value) if value is not None else "—"
