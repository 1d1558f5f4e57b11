"""The TUI's one catalogue of labels (Vietnamese first, English as an option)."""

from __future__ import annotations

from fieldkit.domain import MESSAGES, Outcome, Problem, Reason, outcome_label, reason_label

LANGS = ("vi", "en")

# key -> (Vietnamese, English). Binding descriptions use the key "key.<binding id>".
LABELS: dict[str, tuple[str, str]] = {
    "app.title": ("Tổ công nghệ số cộng đồng", "Community digital-technology team"),
    # key bindings (footer)
    "key.quit": ("Thoát", "Quit"),
    "key.language": ("English", "Việt ngữ"),
    "key.sync": ("Đồng bộ", "Sync"),
    "key.lock": ("Khóa", "Lock"),
    "key.new_entry": ("Nhập mới", "New entry"),
    "key.entries": ("Danh sách", "Entries"),
    "key.save": ("Lưu", "Save"),
    "key.household": ("Cùng hộ", "Same household"),
    "key.back": ("Về", "Back"),
    "key.clear": ("Xóa form", "Clear form"),
    "key.search": ("Tìm", "Find"),
    "key.filter": ("Lọc", "Filter"),
    "key.next_page": ("▶", "▶"),
    "key.prev_page": ("◀", "◀"),
    "key.open": ("Xem", "Open"),
    "key.edit": ("Sửa", "Edit"),
    "key.confirm": ("Vẫn lưu", "Save anyway"),
    "key.cancel": ("Sửa lại", "Go back"),
    "key.stay": ("Ở lại nhập tiếp", "Keep typing"),
    "key.discard": ("Bỏ, không lưu", "Discard"),
    "key.enroll": ("Đăng ký máy", "Enroll"),
    "key.demo": ("Dùng thử", "Try the demo"),
    "key.unlock": ("Mở khóa", "Unlock"),
    "key.add_profile": ("Thêm người", "Add volunteer"),
    "key.submit": ("Gửi", "Submit"),
    # welcome / enroll
    "welcome.title": ("Chào mừng!", "Welcome!"),
    "welcome.body": (
        "Máy này chưa có tình nguyện viên nào. Nhấn E để đăng ký bằng mã do cán bộ xã cấp, "
        "hoặc D để dùng thử với dữ liệu mẫu.",
        "No volunteer on this laptop yet. Press E to enroll with the code your commune "
        "coordinator gave you, or D to try the demo with sample data.",
    ),
    "enroll.title": ("Đăng ký máy với máy chủ", "Enroll this laptop"),
    "enroll.server": ("Địa chỉ máy chủ", "Server address"),
    "enroll.code": ("Mã đăng ký", "Enrollment code"),
    "enroll.pin": ("Mã PIN (4–8 chữ số)", "PIN (4–8 digits)"),
    "enroll.pin2": ("Nhập lại mã PIN", "Repeat the PIN"),
    "enroll.url_invalid": (
        "Địa chỉ máy chủ phải bắt đầu bằng http:// hoặc https://, ví dụ http://192.168.1.10:8000",
        "The server address must start with http:// or https://, e.g. http://192.168.1.10:8000",
    ),
    "enroll.code_invalid": (
        "Mã đăng ký có từ 4 đến 64 ký tự.",
        "The enrollment code has 4 to 64 characters.",
    ),
    "enroll.pin_invalid": ("Mã PIN gồm 4 đến 8 chữ số.", "The PIN has 4 to 8 digits."),
    "enroll.pin_mismatch": ("Hai mã PIN không giống nhau.", "The two PINs differ."),
    "enroll.working": ("Đang đăng ký…", "Enrolling…"),
    "enroll.done": ("Đã đăng ký: {name}", "Enrolled: {name}"),
    "demo.working": (
        "Đang khởi động máy chủ dùng thử… (có thể mất vài chục giây)",
        "Starting the demo server… (this can take a few dozen seconds)",
    ),
    # unlock
    "unlock.title": (
        "Chọn tình nguyện viên và nhập mã PIN",
        "Choose a volunteer and enter the PIN",
    ),
    "unlock.pin": ("Mã PIN", "PIN"),
    "unlock.wrong": ("Mã PIN không đúng.", "Wrong PIN."),
    "unlock.checking": ("Đang kiểm tra…", "Checking…"),
    "unlock.locked_now": (
        "Máy đã khóa. Nhập mã PIN để mở.",
        "Locked. Enter the PIN to open.",
    ),
    "unlock.locked": (
        "Máy đã tự khóa sau {minutes} phút không dùng.",
        "Locked after {minutes} idle minutes.",
    ),
    # home
    "home.volunteer": ("Tình nguyện viên", "Volunteer"),
    "home.village": ("Thôn/ấp", "Village"),
    "home.online": ("● TRỰC TUYẾN", "● ONLINE"),
    "home.offline": ("○ NGOẠI TUYẾN", "○ OFFLINE"),
    "home.today": ("Hôm nay", "Today"),
    "home.all": ("Tất cả", "In all"),
    "home.pending": ("Chờ đồng bộ", "Waiting to sync"),
    "home.rejected": ("Bị trả lại, cần sửa", "Rejected, to fix"),
    "home.duplicates": ("Trùng", "Duplicates"),
    "home.last_sync": ("Đồng bộ lần cuối", "Last sync"),
    "home.never": ("chưa bao giờ", "never"),
    "home.quota": ("Chỉ tiêu của thôn", "Village quota"),
    "home.no_quota": (
        "Chưa có chỉ tiêu (đồng bộ để nhận chỉ tiêu).",
        "No quota yet (sync to receive it).",
    ),
    "home.loading": ("Đang tải…", "Loading…"),
    # sync
    "sync.running": ("Đang đồng bộ…", "Syncing…"),
    "sync.progress": ("Đang đồng bộ: {done}/{total}", "Syncing: {done}/{total}"),
    "sync.done": (
        "Đồng bộ xong: gửi {pushed}, nhận {pulled} thay đổi.",
        "Sync done: sent {pushed}, received {pulled} changes.",
    ),
    "sync.failed": ("Đồng bộ không thành công", "Sync failed"),
    # The status line's one row at 80 columns: the sync client's full text would be cut.
    "sync.offline": (
        "Không kết nối được máy chủ. Dữ liệu vẫn an toàn trên máy.",
        "Cannot reach the server. Your data is safe on this laptop.",
    ),
    "sync.unexpected": (
        "Có lỗi không mong muốn khi đồng bộ. Dữ liệu vẫn an toàn trên máy; hãy thử lại sau.",
        "Something unexpected went wrong while syncing. Your data is safe on this laptop; "
        "try again later.",
    ),
    "sync.no_store": ("Chưa mở hồ sơ nào.", "No profile is open."),
    # entry form
    "form.new_title": ("Nhập người dân mới", "New citizen"),
    "form.edit_title": ("Sửa bản ghi", "Edit entry"),
    "form.full_name": ("Họ và tên", "Full name"),
    "form.id_number": ("Số định danh (12 số)", "ID number (12 digits)"),
    "form.birth_year": ("Năm sinh", "Birth year"),
    "form.sex": ("Giới tính", "Sex"),
    "form.male": ("Nam", "Male"),
    "form.female": ("Nữ", "Female"),
    "form.phone": ("Số điện thoại", "Phone"),
    "form.village": ("Thôn/ấp", "Village"),
    "form.services": ("Dịch vụ đã hỗ trợ", "Services given"),
    "form.outcome": ("Kết quả", "Outcome"),
    "form.reasons": ("Lý do", "Reasons"),
    "form.consent": (
        "Người dân đồng ý cho ghi lại thông tin",
        "The citizen agrees to this record",
    ),
    "form.device_owner": ("Điện thoại dùng là của", "Phone used belongs to"),
    "form.owner.citizen": ("Người dân", "The citizen"),
    "form.owner.relative": ("Người thân", "A relative"),
    "form.owner.volunteer": ("Tình nguyện viên", "The volunteer"),
    "form.note": ("Ghi chú", "Note"),
    "form.saving": ("Đang lưu…", "Saving…"),
    "form.saved": ("Đã lưu {name}: {count} dịch vụ.", "Saved {name}: {count} services."),
    "form.saved.one": ("Đã lưu {name}: 1 dịch vụ.", "Saved {name}: 1 service."),
    "form.updated": (
        "Đã sửa, bản ghi sẽ được gửi lại khi đồng bộ.",
        "Fixed; the entry goes back to the server on the next sync.",
    ),
    "form.save_failed": (
        "Chưa lưu được: {detail}. Dữ liệu trên form vẫn còn, hãy thử lại.",
        "Not saved: {detail}. The form still holds your data; try again.",
    ),
    "form.has_errors": (
        "Còn {count} lỗi cần sửa trước khi lưu:",
        "{count} errors to fix before saving:",
    ),
    "form.has_errors.one": ("Còn 1 lỗi cần sửa trước khi lưu:", "1 error to fix before saving:"),
    "form.more_problems": ("… và {count} mục khác", "… and {count} more"),
    "form.more_problems.one": ("… và 1 mục khác", "… and 1 more"),
    "form.household_hint": (
        "Cùng hộ: giữ thôn và số điện thoại; thông tin người dân nhập mới.",
        "Same household: village and phone kept; the person's details start empty.",
    ),
    "form.invalid.full_name": ("Họ tên không hợp lệ.", "The name is not valid."),
    "form.invalid.id_number": ("Số định danh không hợp lệ.", "The identity number is not valid."),
    "form.invalid.birth_year": ("Năm sinh không hợp lệ.", "The birth year is not valid."),
    "form.invalid.sex": ("Chọn giới tính (Nam/Nữ).", "Choose the sex (male/female)."),
    "form.invalid.phone": ("Số điện thoại không hợp lệ.", "The phone number is not valid."),
    "form.invalid.village": ("Chọn thôn/ấp.", "Choose the village."),
    "form.invalid.services": ("Dịch vụ không hợp lệ.", "A service is not valid."),
    "form.invalid.reasons": ("Lý do không hợp lệ.", "A reason is not valid."),
    "form.invalid.consent": ("Cần sự đồng ý của người dân.", "The citizen's consent is needed."),
    "form.invalid.device_owner": ("Chọn chủ điện thoại.", "Choose whose phone it is."),
    "form.invalid.note": ("Ghi chú không hợp lệ.", "The note is not valid."),
    "form.invalid.entry": ("Dữ liệu chưa hợp lệ.", "Some data is not valid."),
    "form.rejected_reason": ("Lý do bị trả lại", "Why it was rejected"),
    "warn.title": ("Cần xác nhận", "Please confirm"),
    "warn.body": (
        "Kiểm tra lại các cảnh báo sau. Nhấn Enter để vẫn lưu, Esc để sửa lại.",
        "Check these warnings. Press Enter to save anyway, Esc to go back.",
    ),
    "discard.title": ("Chưa lưu", "Not saved"),
    "discard.body": (
        "Những gì vừa nhập cho người dân này chưa được lưu. Nhấn Esc để ở lại nhập tiếp, "
        "D để bỏ và thoát.",
        "What you typed for this citizen is not saved. Press Esc to keep typing, D to discard "
        "it and leave.",
    ),
    "leaving.title": ("Trước khi thoát", "Before you quit"),
    "leaving.body": (
        "Thông tin của {citizens} ({services}) chưa gửi lên máy chủ. Thông tin vẫn an toàn "
        "trên máy này và sẽ được gửi ở lần đồng bộ sau. Nhấn S để đồng bộ rồi thoát, Q để "
        "thoát ngay, Esc để ở lại.",
        "What you recorded for {citizens} ({services}) is not on the server yet. It is safe "
        "on this laptop and goes with the next sync. Press S to sync and then quit, Q to quit "
        "now, Esc to stay.",
    ),
    "key.sync_quit": ("Đồng bộ rồi thoát", "Sync, then quit"),
    "key.quit_now": ("Thoát ngay", "Quit now"),
    # entries list
    "list.title": ("Danh sách bản ghi", "Entries"),
    "list.search": ("Tìm theo tên, số định danh, điện thoại…", "Search name, id, phone…"),
    "list.filter.all": ("Tất cả", "All"),
    "list.filter.today": ("Hôm nay", "Today"),
    "list.filter.pending": ("Chờ đồng bộ", "Waiting to sync"),
    "list.filter.rejected": ("Bị trả lại", "Rejected"),
    "list.filter.duplicate": ("Trùng", "Duplicate"),
    "list.page": ("{first}–{last} / {total}", "{first}–{last} of {total}"),
    "list.empty": ("Không có bản ghi nào.", "No entries."),
    "col.when": ("Thời điểm", "When"),
    "col.name": ("Họ tên", "Name"),
    "col.id_number": ("Số định danh", "Identity no."),
    "col.service": ("Dịch vụ", "Service"),
    "col.outcome": ("Kết quả", "Outcome"),
    "col.status": ("Trạng thái", "Status"),
    "status.pending": ("chờ gửi", "to send"),
    "status.accepted": ("đã nhận", "accepted"),
    "status.acked": ("đã nhận", "accepted"),
    "status.synced": ("đã nhận", "accepted"),
    "status.rejected": ("bị trả lại", "rejected"),
    "status.duplicate": ("trùng", "duplicate"),
    "status.approved": ("đã duyệt", "approved"),
    "status.has_issues": ("cần xem lại", "has issues"),
    # detail
    "detail.title": ("Chi tiết bản ghi", "Entry detail"),
    "detail.not_found": ("Không tìm thấy bản ghi.", "Entry not found."),
    # errors shown to volunteers (never tracebacks)
    "error.store": (
        "Không đọc/ghi được dữ liệu trên máy ({detail}).",
        "Could not read or write the data on this laptop ({detail}).",
    ),
    "error.unexpected": (
        "Có lỗi không mong muốn. Dữ liệu đã lưu vẫn an toàn trên máy; hãy thử lại.",
        "Something unexpected went wrong. Saved data is safe on this laptop; try again.",
    ),
    "error.enroll": ("Không đăng ký được: {detail}", "Enrollment failed: {detail}"),
    "error.unreachable": (
        "Không kết nối được máy chủ. Kiểm tra mạng hoặc địa chỉ máy chủ.",
        "Cannot reach the server. Check the network or the server address.",
    ),
    "error.demo": ("Không khởi động được bản dùng thử: {detail}", "The demo failed: {detail}"),
}


def tr(key: str, lang: str, **params: object) -> str:
    """The label for key in lang (Vietnamese unless 'en'), with {params} filled in.

    A count of one picks the key's '.one' form where there is one ("1 error", "2 errors").
    """
    if str(params.get("count")) == "1" and f"{key}.one" in LABELS:
        key = f"{key}.one"
    vi, en = LABELS.get(key) or MESSAGES.get(key) or (key, key)
    template = en if lang == "en" else vi
    if not params:
        return template
    try:
        return template.format(**params)
    except (KeyError, IndexError, ValueError):
        return template


def both(key: str, **params: object) -> tuple[str, str]:
    """A catalogue label in Vietnamese and English, to show in whichever is chosen later."""
    return tr(key, "vi", **params), tr(key, "en", **params)


def problem_text(problem: Problem, lang: str) -> str:
    """A validation problem in the user's language (form codes here, domain codes in MESSAGES)."""
    if problem.code in LABELS:
        return tr(problem.code, lang, **problem.params)
    return problem.message(lang)


def outcome_text(outcome: Outcome | str, lang: str, *, short: bool = False) -> str:
    """An outcome's label (or short label), tolerating unknown codes."""
    try:
        return outcome_label(Outcome(outcome), lang, short=short)
    except ValueError:
        return str(outcome)


def reason_text(reason: Reason | str, lang: str) -> str:
    """A reason's label, tolerating unknown codes."""
    try:
        return reason_label(Reason(reason), lang)
    except ValueError:
        return str(reason)
