"""The default service catalogue, outcomes and reasons, with Vietnamese and English labels."""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, ConfigDict


class Outcome(StrEnum):
    """What happened when a volunteer helped a citizen with one service."""

    SUCCESS = "success"
    PENDING = "pending"
    REFERRED = "referred"
    FAILED = "failed"
    DECLINED = "declined"


class Reason(StrEnum):
    """Why a service did not succeed (docs/domain.md)."""

    NO_SMARTPHONE = "no_smartphone"
    DEVICE_UNSUPPORTED = "device_unsupported"
    NO_CHIP_CARD = "no_chip_card"
    SIM_NOT_OWN_NAME = "sim_not_own_name"
    PHONE_MISMATCH = "phone_mismatch"
    OTP_NOT_RECEIVED = "otp_not_received"
    NOT_APPROVED_YET = "not_approved_yet"
    LEVEL2_NOT_REGISTERED = "level2_not_registered"
    ACCOUNT_LOCKED = "account_locked"
    BOUND_TO_OTHER_DEVICE = "bound_to_other_device"
    FACE_CAPTURE_FAILED = "face_capture_failed"
    POPULATION_DB_MISMATCH = "population_db_mismatch"
    SYSTEM_DOWN = "system_down"
    NO_NETWORK = "no_network"
    LOW_DIGITAL_LITERACY = "low_digital_literacy"
    UNDER_14 = "under_14"
    OTHER = "other"


class ServiceInfo(BaseModel):
    """One service of the catalogue; provinces may add their own."""

    model_config = ConfigDict(frozen=True)

    code: str
    label_vi: str
    label_en: str
    counts_toward_quota: bool = True
    active: bool = True
    short_vi: str = ""
    """A name of at most ~24 characters for narrow screens (empty: the label)."""
    short_en: str = ""

    def label(self, lang: str) -> str:
        """The label in the user's language."""
        return self.label_en if lang == "en" else self.label_vi

    def short_label(self, lang: str) -> str:
        """The short name in the user's language, for where room is short."""
        return (self.short_en if lang == "en" else self.short_vi) or self.label(lang)


DEFAULT_SERVICES: tuple[ServiceInfo, ...] = (
    ServiceInfo(
        code="vneid_level1",
        short_vi="VNeID mức 1",
        short_en="VNeID level 1",
        label_vi="Cài đặt VNeID và đăng ký tài khoản định danh mức 1",
        label_en="Install VNeID and register a level-1 identity account",
    ),
    ServiceInfo(
        code="vneid_level2",
        short_vi="VNeID mức 2",
        short_en="VNeID level 2",
        label_vi="Kích hoạt tài khoản định danh điện tử mức 2",
        label_en="Activate a level-2 electronic identity account",
    ),
    ServiceInfo(
        code="dvc_account",
        short_vi="Tài khoản Cổng DVC",
        short_en="Portal account",
        label_vi="Tạo / đăng nhập tài khoản Cổng Dịch vụ công quốc gia",
        label_en="Create / sign in to a National Public Service Portal account",
    ),
    ServiceInfo(
        code="dvc_transaction",
        short_vi="Giao dịch DVC lần đầu",
        short_en="First portal transaction",
        label_vi=(
            "Nộp hồ sơ hoặc thanh toán trực tuyến lần đầu (tài khoản có phát sinh giao dịch)"
        ),
        label_en="First online application or payment (account with a transaction)",
    ),
    ServiceInfo(
        code="cashless_payment",
        short_vi="TK không tiền mặt",
        short_en="Cashless payment",
        label_vi="Mở tài khoản thanh toán không dùng tiền mặt / Mobile Money",
        label_en="Open a cashless payment account / Mobile Money",
    ),
    ServiceInfo(
        code="field_report_app",
        short_vi="Ứng dụng phản ánh",
        short_en="Field-report app",
        label_vi="Cài ứng dụng phản ánh hiện trường (đô thị thông minh)",
        label_en="Install the field-report app (smart city)",
        counts_toward_quota=False,
    ),
    ServiceInfo(
        code="other",
        short_vi="Hỗ trợ khác",
        short_en="Other help",
        label_vi="Hỗ trợ khác",
        label_en="Other help",
        counts_toward_quota=False,
    ),
)

SERVICE_CODES: frozenset[str] = frozenset(s.code for s in DEFAULT_SERVICES)
COUNTED_SERVICE_CODES: tuple[str, ...] = tuple(
    s.code for s in DEFAULT_SERVICES if s.counts_toward_quota
)

OUTCOME_LABELS: dict[Outcome, tuple[str, str]] = {
    Outcome.SUCCESS: ("Thành công", "Success"),
    Outcome.PENDING: ("Chờ phê duyệt / hẹn lại", "Pending / come back later"),
    Outcome.REFERRED: ("Chuyển công an xã / nhà mạng", "Referred to police / carrier"),
    Outcome.FAILED: ("Không thành công", "Failed"),
    Outcome.DECLINED: ("Người dân từ chối", "Citizen declined"),
}

# The same in a few letters, for table cells.
OUTCOME_SHORT_LABELS: dict[Outcome, tuple[str, str]] = {
    Outcome.SUCCESS: ("Thành công", "Success"),
    Outcome.PENDING: ("Chờ/hẹn lại", "Pending"),
    Outcome.REFERRED: ("Chuyển", "Referred"),
    Outcome.FAILED: ("Thất bại", "Failed"),
    Outcome.DECLINED: ("Từ chối", "Declined"),
}

REASON_LABELS: dict[Reason, tuple[str, str]] = {
    Reason.NO_SMARTPHONE: ("Không có điện thoại thông minh", "No smartphone"),
    Reason.DEVICE_UNSUPPORTED: (
        "Thiết bị không hỗ trợ / không có NFC",
        "Device unsupported / no NFC",
    ),
    Reason.NO_CHIP_CARD: ("Chưa có CCCD gắn chip", "No chip-based ID card yet"),
    Reason.SIM_NOT_OWN_NAME: ("SIM không chính chủ", "SIM not in the citizen's name"),
    Reason.PHONE_MISMATCH: ("Số điện thoại không khớp", "Phone number does not match"),
    Reason.OTP_NOT_RECEIVED: ("Không nhận được OTP", "OTP not received"),
    Reason.NOT_APPROVED_YET: ("Hồ sơ chưa được phê duyệt", "Application not approved yet"),
    Reason.LEVEL2_NOT_REGISTERED: (
        "Chưa đăng ký mức 2 tại công an",
        "Level 2 not registered with the police",
    ),
    Reason.ACCOUNT_LOCKED: ("Tài khoản bị khóa", "Account locked"),
    Reason.BOUND_TO_OTHER_DEVICE: (
        "Tài khoản gắn với thiết bị khác",
        "Account bound to another device",
    ),
    Reason.FACE_CAPTURE_FAILED: ("Chụp ảnh chân dung không đạt", "Face capture failed"),
    Reason.POPULATION_DB_MISMATCH: (
        "Sai lệch dữ liệu dân cư",
        "Mismatch with the population database",
    ),
    Reason.SYSTEM_DOWN: ("Hệ thống quá tải / bảo trì", "System overloaded / maintenance"),
    Reason.NO_NETWORK: ("Mất mạng", "No network"),
    Reason.LOW_DIGITAL_LITERACY: (
        "Người cao tuổi / hạn chế kỹ năng số",
        "Elderly / limited digital skills",
    ),
    Reason.UNDER_14: (
        "Dưới 14 tuổi (cần tài khoản người giám hộ)",
        "Under 14 (needs a guardian's account)",
    ),
    Reason.OTHER: ("Khác", "Other"),
}


def outcome_label(outcome: Outcome, lang: str = "vi", *, short: bool = False) -> str:
    """The outcome's label (or short label) in the user's language."""
    vi, en = (OUTCOME_SHORT_LABELS if short else OUTCOME_LABELS)[outcome]
    return en if lang == "en" else vi


def reason_label(reason: Reason, lang: str = "vi") -> str:
    """The reason's label in the user's language."""
    vi, en = REASON_LABELS[reason]
    return en if lang == "en" else vi


def service_by_code(code: str) -> ServiceInfo | None:
    """The default catalogue's service with that code, if any."""
    return next((s for s in DEFAULT_SERVICES if s.code == code), None)


def service_label(
    code: str,
    lang: str,
    catalogue: dict[str, ServiceInfo] | None = None,
    *,
    short: bool = False,
) -> str:
    """A service's label (or short name) from the synced catalogue or the default one.

    A service the server sent without a short name takes the default catalogue's, if any.
    """
    info = (catalogue or {}).get(code) or service_by_code(code)
    if info is None:
        return code
    if not short:
        return info.label(lang)
    default = service_by_code(code)
    if not (info.short_en if lang == "en" else info.short_vi) and default is not None:
        return default.short_label(lang)
    return info.short_label(lang)
