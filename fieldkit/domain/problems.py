"""Coded validation problems: hard errors block a save, warnings must be confirmed."""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, ConfigDict


class Severity(StrEnum):
    """Whether a problem blocks saving or only asks the volunteer to confirm."""

    ERROR = "error"
    WARNING = "warning"


class Problem(BaseModel):
    """One validation finding about one field, with a stable code for translation."""

    model_config = ConfigDict(frozen=True)

    code: str
    field: str
    severity: Severity
    params: dict[str, str] = {}

    def message(self, lang: str = "vi") -> str:
        """The problem's text in the user's language."""
        vi, en = MESSAGES.get(self.code, (self.code, self.code))
        template = en if lang == "en" else vi
        try:
            return template.format(**self.params)
        except (KeyError, IndexError):
            return template


class DomainError(ValueError):
    """A hard validation error that carries a problem code."""

    def __init__(self, code: str, field: str, **params: str) -> None:
        self.problem = Problem(code=code, field=field, severity=Severity.ERROR, params=params)
        super().__init__(self.problem.message("en"))


def error(code: str, field: str, **params: str) -> Problem:
    """A blocking problem."""
    return Problem(code=code, field=field, severity=Severity.ERROR, params=params)


def warning(code: str, field: str, **params: str) -> Problem:
    """A problem the volunteer must confirm."""
    return Problem(code=code, field=field, severity=Severity.WARNING, params=params)


# code -> (Vietnamese, English). Every message users see about data comes from here.
MESSAGES: dict[str, tuple[str, str]] = {
    "id_number.empty": ("Chưa nhập số định danh.", "The identity number is missing."),
    "id_number.length": (
        "Số định danh phải có đúng 12 chữ số (đang có {digits}).",
        "The identity number must have exactly 12 digits (it has {digits}).",
    ),
    "id_number.characters": (
        "Số định danh chỉ được chứa chữ số.",
        "The identity number may only contain digits.",
    ),
    "id_number.unknown_prefix": (
        "Mã nơi đăng ký khai sinh {prefix} không có trong danh sách. Kiểm tra lại số.",
        "Birth-registration code {prefix} is not a known code. Check the number.",
    ),
    "id_number.century_sex_digit": (
        "Chữ số thứ 4 ({digit}) không hợp lệ cho người sinh năm 1900–2099.",
        "Digit 4 ({digit}) is not valid for someone born 1900–2099.",
    ),
    "id_number.sex_mismatch": (
        "Số định danh cho thấy giới tính {id_sex}, nhưng đã chọn {sex}.",
        "The identity number says {id_sex}, but {sex} was chosen.",
    ),
    "id_number.birth_year_mismatch": (
        "Số định danh cho thấy năm sinh {id_year}, nhưng đã nhập {birth_year}.",
        "The identity number says born {id_year}, but {birth_year} was entered.",
    ),
    "id_number.kept_unknown": (
        "Bản sửa giữ số định danh đã che nhưng máy chủ không có bản ghi gốc; hãy ghi lại từ "
        "phiếu giấy.",
        "This edit keeps a masked identity number but the server has no original entry; record "
        "it again from the paper form.",
    ),
    "id_number.kept": (
        "Số định danh đã được che sau khi máy chủ nhận nên không sửa được; các ô khác vẫn sửa "
        "được.",
        "The identity number was masked once the server received the entry and cannot be "
        "changed; every other field can.",
    ),
    "id_number.already_helped": (
        "Người này đã được hỗ trợ dịch vụ này trên máy này ({when}).",
        "This citizen was already helped with this service on this laptop ({when}).",
    ),
    "phone.empty": ("Chưa nhập số điện thoại.", "No phone number given."),
    "phone.characters": (
        "Số điện thoại chỉ được chứa chữ số, dấu cách, dấu chấm, gạch ngang và dấu +.",
        "A phone number may only contain digits, spaces, dots, dashes and +.",
    ),
    "phone.old_11_digit": (
        "Số 11 chữ số bắt đầu bằng 01 đã được chuyển sang 10 chữ số (2018–2019). "
        "Hãy nhập số mới, ví dụ 0162… → 0362….",
        "11-digit numbers starting 01 were migrated to 10 digits in 2018–2019. "
        "Enter the new number, e.g. 0162… → 0362….",
    ),
    "phone.length": (
        "Số di động phải có 10 chữ số (0 và 9 chữ số).",
        "A mobile number has 10 digits (0 and 9 more).",
    ),
    "phone.prefix": (
        "Đầu số {prefix} không phải đầu số di động (03, 05, 07, 08, 09).",
        "Prefix {prefix} is not a mobile prefix (03, 05, 07, 08, 09).",
    ),
    "phone.shared": (
        "Số điện thoại này đã dùng cho {count} người khác.",
        "This phone number was already used for {count} other citizens.",
    ),
    "note.id_number": (
        "Ghi chú không được chứa số định danh (12 chữ số).",
        "The note must not contain an identity number (12 digits).",
    ),
    "note.otp": (
        "Ghi chú không được chứa mã OTP (6 chữ số) hay mật khẩu.",
        "The note must not contain an OTP (6 digits) or a password.",
    ),
    "note.characters": (
        "Ghi chú chứa ký tự điều khiển không hợp lệ.",
        "The note contains invalid control characters.",
    ),
    "note.too_long": (
        "Ghi chú quá dài (tối đa {max} ký tự).",
        "The note is too long (at most {max} characters).",
    ),
    "full_name.empty": ("Chưa nhập họ tên.", "The name is empty."),
    "full_name.too_long": ("Họ tên quá dài.", "The name is too long."),
    "full_name.characters": (
        "Họ tên chỉ gồm chữ cái, dấu cách, dấu nháy và gạch ngang.",
        "A name may only contain letters, spaces, apostrophes and dashes.",
    ),
    "birth_year.empty": ("Chưa nhập năm sinh.", "The birth year is missing."),
    "birth_year.range": (
        "Năm sinh phải trong khoảng {min}–{max}.",
        "The birth year must be between {min} and {max}.",
    ),
    "birth_year.under_14": (
        "Người dưới 14 tuổi cần tài khoản của người giám hộ.",
        "A citizen under 14 needs a guardian's account.",
    ),
    "consent.required": (
        "Cần có sự đồng ý của người dân (im lặng không phải là đồng ý).",
        "The citizen's consent is required (silence is not consent).",
    ),
    "reasons.required": (
        "Kết quả không thành công cần ít nhất một lý do.",
        "A non-success outcome needs at least one reason.",
    ),
    "reasons.not_allowed": (
        "Kết quả thành công không cần lý do.",
        "A successful outcome takes no reasons.",
    ),
    "service.unknown": ("Dịch vụ {service} không có trong danh mục.", "Unknown service {service}."),
    "service.required": ("Chọn ít nhất một dịch vụ.", "Choose at least one service."),
    "village.unknown": ("Thôn/ấp {village} không tồn tại.", "Unknown village {village}."),
    "village.not_yours": (
        "Thôn/ấp {village} không thuộc tổ của bạn.",
        "Village {village} is not one of your team's.",
    ),
    "assisted_at.future": (
        "Thời điểm hỗ trợ không thể ở tương lai.",
        "The time of assistance cannot be in the future.",
    ),
    "assisted_at.naive": (
        "Thời điểm hỗ trợ phải có múi giờ.",
        "The time of assistance must carry a time zone.",
    ),
    "device_owner.volunteer": (
        "Tài khoản được kích hoạt trên điện thoại của tình nguyện viên: VNeID sẽ gắn với "
        "máy đó và người dân có thể bị khóa sau này.",
        "The account was set up on the volunteer's phone: VNeID binds it to that device "
        "and the citizen may be locked out later.",
    ),
    "entry.duplicate_elsewhere": (
        "Người này đã được tính cho dịch vụ này (ở xã/phường khác) từ ngày {date}.",
        "This citizen is already counted for this service (in another commune) since {date}.",
    ),
    "entry.duplicate": (
        "Người này đã được tính cho dịch vụ này tại {village} ngày {date}.",
        "This citizen is already counted for this service in {village} on {date}.",
    ),
    "entry.invalid": ("Dữ liệu không hợp lệ: {detail}", "Invalid data: {detail}"),
    "conflict": (
        "Bản ghi đã được sửa ở nơi khác trước đó; máy chủ giữ cả hai phiên bản để điều phối viên "
        "xem lại.",
        "The entry was changed elsewhere first; the server kept both versions for a coordinator "
        "to review.",
    ),
    "entry.other_device": (
        "Mã bản ghi này đã thuộc về một máy khác.",
        "This entry id already belongs to another device.",
    ),
    "assisted_at.before_enrollment": (
        "Thời điểm hỗ trợ ghi trước khi máy tính này được đăng ký: điều phối viên cần xem lại "
        "(phiếu giấy nhập sau, hay ghi lùi ngày?).",
        "The time of help is before this laptop was enrolled: a coordinator must look at it "
        "(a paper form typed in later, or a backdated entry?).",
    ),
    "assisted_at.received_late": (
        "Bản ghi đến máy chủ hơn {days} ngày sau thời điểm hỗ trợ: điều phối viên cần xem lại "
        "(ghi lùi ngày, hay máy lâu không đồng bộ?).",
        "The entry reached the server more than {days} days after the time of help: a "
        "coordinator must look at it (a backdated entry, or a laptop that had not synced for "
        "long?).",
    ),
    "mutation.reused": (
        "Máy chủ đã nhận một nội dung khác mang cùng số thay đổi {mutation_id} của máy này (có "
        "thể là gói dữ liệu giả mạo), nên bản ghi này CHƯA được lưu trên máy chủ. Bản ghi vẫn "
        "giữ nguyên trên máy: hãy báo điều phối viên, rồi mở và lưu lại bản ghi để gửi lại.",
        "The server already holds different content under this laptop's change number "
        "{mutation_id} (possibly a forged bundle), so this entry is NOT stored on the server. It "
        "stays on this laptop: tell your coordinator, then open and save the entry to send it "
        "again.",
    ),
}
