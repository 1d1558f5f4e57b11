"""Vietnamese for the commune coordinator's pages (commune, village, review queue, quotas,
teams and laptops, audit); `i18n.VI` takes them in."""

from __future__ import annotations

COMMUNE_VI: dict[str, str] = {
    # Navigation and common words
    "Commune pages": "Các trang của xã",
    "Progress": "Tiến độ",
    "Review queue": "Duyệt mục",
    "Village quotas": "Chỉ tiêu thôn",
    "Teams and laptops": "Tổ và máy tính",
    "Audit log": "Nhật ký truy cập",
    "Yes": "Có",
    "No": "Không",
    "All": "Tất cả",
    "Village": "Thôn",
    "Villages": "Các thôn",
    "Volunteer": "Tình nguyện viên",
    "Volunteers": "Tình nguyện viên",
    "State": "Tình trạng",
    "Date": "Ngày",
    "Entries": "Số mục",
    "Import": "Nhập",
    "Cancel": "Hủy",
    "Confirm": "Xác nhận",
    "Nothing was changed.": "Không có gì bị thay đổi.",
    "Pages": "Trang",
    "Newer": "Mới hơn",
    "Older": "Cũ hơn",
    "Page {page} of {pages}": "Trang {page}/{pages}",
    "No such page.": "Không có trang này.",
    "Choose a commune first.": "Hãy chọn một xã trước.",
    "This page is for a commune.": "Trang này dành cho một xã.",
    # Commune and village pages
    "{count} entries waiting for review": "{count} mục đang chờ duyệt",
    "{count} laptops have not synced for {days} days or more: their figures may be behind.": (
        "{count} máy tính chưa đồng bộ từ {days} ngày trở lên: số liệu của chúng có thể chưa đủ."
    ),
    "The commune against its quota": "Kết quả của xã so với chỉ tiêu",
    "Order": "Thứ tự",
    "By name": "Theo tên",
    "Furthest behind first in: {service}": "Thôn chậm nhất trước, theo: {service}",
    "Furthest behind first (any service)": "Thôn chậm nhất trước (mọi dịch vụ)",
    "Achieved against quota per village, {period}": "Kết quả so với chỉ tiêu theo thôn, {period}",
    "This commune has no villages yet.": "Xã chưa có thôn nào.",
    "Laptops and their last sync": "Máy tính và lần đồng bộ gần nhất",
    "A laptop that has not synced for {days} days or more is marked: ask its volunteer to sync "
    "or to bring a bundle.": (
        "Máy tính chưa đồng bộ từ {days} ngày trở lên được đánh dấu: hãy nhắc tình nguyện viên "
        "đồng bộ hoặc mang gói dữ liệu đến."
    ),
    "Laptops": "Máy tính",
    "Laptop": "Máy tính",
    "Last sync": "Đồng bộ gần nhất",
    "Never": "Chưa bao giờ",
    "Not synced for {days} days or more": "Chưa đồng bộ từ {days} ngày trở lên",
    "Up to date": "Đã cập nhật",
    "No laptop is enrolled here yet.": "Chưa có máy tính nào được đăng ký.",
    "Volunteers and what they recorded in {period}": (
        "Tình nguyện viên và kết quả ghi nhận năm {period}"
    ),
    "Name": "Họ tên",
    "Youth Union member": "Đoàn viên",
    "Active": "Đang hoạt động",
    "Citizens counted": "Người dân được tính",
    "No volunteer in this village yet.": "Thôn chưa có tình nguyện viên.",
    # Review queue
    "Review state": "Trạng thái duyệt",
    "Filter": "Lọc",
    "entries match.": "mục phù hợp.",
    "Review one by one": "Duyệt từng mục",
    "Entries, newest first (page {page} of {pages})": (
        "Các mục, mới nhất trước (trang {page}/{pages})"
    ),
    "Tick": "Chọn",
    "Tick the entry of {name}": "Chọn mục của {name}",
    "Citizen": "Người dân",
    "Identity number": "Số định danh",
    "Outcome": "Kết quả",
    "No entry matches this filter.": "Không có mục nào phù hợp.",
    "Decide": "Quyết định",
    "Decision": "Quyết định",
    "Approve": "Duyệt",
    "Reject": "Từ chối",
    "Has issues": "Có vấn đề",
    "Reason (required to reject or flag)": "Lý do (bắt buộc khi từ chối hoặc báo có vấn đề)",
    "Apply to the ticked entries": "Áp dụng cho các mục đã chọn",
    "Apply to all {count} matching…": "Áp dụng cho tất cả {count} mục phù hợp…",
    "Decision recorded for {count} entries.": "Đã ghi quyết định cho {count} mục.",
    "No entry left in this list.": "Không còn mục nào trong danh sách này.",
    "Write a reason (or pick a common one) to reject or flag an entry: the volunteer needs it "
    "to fix the entry.": (
        "Hãy ghi lý do (hoặc chọn lý do thường gặp) khi từ chối hoặc báo có vấn đề: tình nguyện "
        "viên cần biết để sửa mục."
    ),
    "Tick at least one entry, or choose everything matching the filter.": (
        "Hãy chọn ít nhất một mục, hoặc áp dụng cho mọi mục phù hợp với bộ lọc."
    ),
    "Some of the entries are not in this commune any more. Nothing was changed.": (
        "Có mục không còn thuộc xã này. Không có gì bị thay đổi."
    ),
    "Choose approve, reject or has issues.": "Hãy chọn duyệt, từ chối hoặc có vấn đề.",
    "The reason is too long (at most 500 characters).": "Lý do quá dài (tối đa 500 ký tự).",
    "Review an entry": "Duyệt một mục",
    "Back to the queue": "Về danh sách chờ duyệt",
    "Note": "Ghi chú",
    "Earlier decisions": "Các quyết định trước",
    "Save and go to the next": "Lưu và sang mục tiếp theo",
    "Keys: A approve, R reject, I has issues (then type the reason and press Enter), N skip to "
    "the next.": (
        "Phím tắt: A duyệt, R từ chối, I có vấn đề (rồi gõ lý do và nhấn Enter), N bỏ qua sang "
        "mục tiếp theo."
    ),
    "Skip": "Bỏ qua",
    "Decide for every matching entry?": "Quyết định cho mọi mục phù hợp?",
    "The list changed since you looked: check the new count.": (
        "Danh sách đã thay đổi: hãy xem lại số mục mới."
    ),
    "entries match the filter and will get this decision:": (
        "mục phù hợp với bộ lọc và sẽ nhận quyết định:"
    ),
    "At most {count} entries are decided at once, the newest first; do it again for the rest.": (
        "Mỗi lần chỉ quyết định tối đa {count} mục, mới nhất trước; làm lại cho các mục còn lại."
    ),
    "Yes, decide for {count} entries": "Đồng ý, quyết định cho {count} mục",
    "A filter is not valid.": "Bộ lọc không hợp lệ.",
    "Unknown review state.": "Trạng thái duyệt không hợp lệ.",
    "Unknown volunteer.": "Không có tình nguyện viên này.",
    # Quotas
    "Villages against the commune's quota": "Chỉ tiêu các thôn so với chỉ tiêu của xã",
    "The villages' quotas add up to less than the commune's own quota for {count} services.": (
        "Tổng chỉ tiêu các thôn thấp hơn chỉ tiêu của xã ở {count} dịch vụ."
    ),
    "Sum of village quotas, {period}": "Tổng chỉ tiêu các thôn, {period}",
    "Commune's quota": "Chỉ tiêu của xã",
    "Sum over villages": "Tổng các thôn",
    "Short by {count}": "Còn thiếu {count}",
    "The commune has no quota": "Xã chưa có chỉ tiêu",
    "Covered": "Đủ",
    "No quota for this period yet.": "Chưa có chỉ tiêu cho kỳ này.",
    "Quotas per village": "Chỉ tiêu theo thôn",
    "Village quotas, {period}": "Chỉ tiêu các thôn, {period}",
    "Set one quota": "Đặt một chỉ tiêu",
    "Quota (citizens)": "Chỉ tiêu (số người dân)",
    "Import a CSV file": "Nhập tệp CSV",
    "Nothing was saved: {count} rows are wrong.": "Chưa lưu gì: có {count} dòng sai.",
    "Line {row}": "Dòng {row}",
    "CSV file": "Tệp CSV",
    "The quota was saved.": "Đã lưu chỉ tiêu.",
    "The file was imported: {count} quotas changed.": "Đã nhập tệp: {count} chỉ tiêu thay đổi.",
    # Teams and laptops
    "Enrollment code for {name}": "Mã đăng ký cho {name}",
    "Write it down or read it to the volunteer now: it is shown only this once.": (
        "Hãy ghi lại hoặc đọc cho tình nguyện viên ngay: mã chỉ hiện một lần này."
    ),
    "Code": "Mã",
    "Valid until": "Hiệu lực đến",
    "On the laptop": "Trên máy tính",
    "Volunteers of {village}": "Tình nguyện viên của {village}",
    "Phone": "Điện thoại",
    "Laptops and last sync": "Máy tính và lần đồng bộ gần nhất",
    "Actions": "Thao tác",
    "revoked": "đã thu hồi",
    "last sync": "đồng bộ lúc",
    "never synced": "chưa đồng bộ lần nào",
    "the server, on arrival": "máy chủ, khi nhận",
    "disputed": "đang tranh chấp",
    "page {page}": "trang {page}",
    "no filter": "không lọc",
    "Revoke": "Thu hồi",
    "No laptop yet": "Chưa có máy tính",
    "Unused code from {date}": "Mã chưa dùng, cấp lúc {date}",
    "Withdraw": "Hủy mã",
    "New enrollment code": "Cấp mã đăng ký mới",
    "Deactivate": "Ngừng hoạt động",
    "Reactivate": "Cho hoạt động lại",
    "Add a volunteer": "Thêm tình nguyện viên",
    "Full name": "Họ và tên",
    "Phone (optional)": "Điện thoại (không bắt buộc)",
    "Add and show the enrollment code": "Thêm và hiện mã đăng ký",
    "Import a bundle from a USB stick": "Nhập gói dữ liệu từ USB",
    "A laptop with no network writes its entries to a bundle file (fieldkit export-bundle). "
    "Importing the same file twice changes nothing.": (
        "Máy tính không có mạng ghi các mục ra một tệp gói (fieldkit export-bundle). Nhập cùng "
        "một tệp hai lần không thay đổi gì."
    ),
    "Bundle file": "Tệp gói dữ liệu",
    "The bundle was imported.": "Đã nhập gói dữ liệu.",
    "The code was withdrawn.": "Đã hủy mã.",
    "The laptop was revoked: it can no longer sync. Its unsent entries can still come as a "
    "bundle.": (
        "Đã thu hồi máy tính: máy không thể đồng bộ nữa. Các mục chưa gửi vẫn có thể chuyển "
        "bằng gói dữ liệu."
    ),
    "Choose a bundle file (at most 50 MB).": "Hãy chọn một tệp gói (tối đa 50 MB).",
    "The bundle starts after entries this server never received: import the laptop's earlier "
    "bundle first.": (
        "Gói này bắt đầu sau các mục máy chủ chưa nhận: hãy nhập gói trước đó của máy tính trước."
    ),
    # Audit and exports
    "Every page of entries someone opened, every decision and every export in this commune.": (
        "Mọi trang danh sách mục đã được mở, mọi quyết định duyệt và mọi lần xuất dữ liệu ở xã."
    ),
    "Export the commune's entries (identity and phone numbers masked):": (
        "Xuất các mục của xã (số định danh và số điện thoại đã che):"
    ),
    "{count} records, newest first": "{count} bản ghi, mới nhất trước",
    "When": "Thời gian",
    "Who": "Người thực hiện",
    "What": "Việc",
    "Unit": "Đơn vị",
    "Detail": "Chi tiết",
    "entry": "mục",
    "Nothing recorded yet.": "Chưa có bản ghi nào.",
    # Labels of codes (CODE_WORDS)
    "new entries": "mục mới",
    "citizens already counted": "trùng người dân đã được tính",
    "refused": "bị từ chối",
    "Male": "Nam",
    "Female": "Nữ",
    "Other": "Khác",
    "Read entries": "Xem mục",
    "Review": "Duyệt mục",
    "Export": "Xuất dữ liệu",
    "Set a quota": "Đặt chỉ tiêu",
    "Imported quotas": "Nhập chỉ tiêu",
    "Added a volunteer": "Thêm tình nguyện viên",
    "Handed out a code": "Cấp mã đăng ký",
    "Withdrew a code": "Hủy mã đăng ký",
    "Deactivated a volunteer": "Ngừng hoạt động tình nguyện viên",
    "Reactivated a volunteer": "Cho tình nguyện viên hoạt động lại",
    "Revoked a laptop": "Thu hồi máy tính",
    "Imported a bundle": "Nhập gói dữ liệu",
}

CODE_WORDS: dict[str, str] = {
    "bundle:accepted": "new entries",
    "bundle:duplicate": "citizens already counted",
    "bundle:rejected": "refused",
    "review:pending": "Waiting for review",
    "review:has_issues": "Has issues",
    "review:approved": "Approved",
    "review:rejected": "Rejected",
    "sex:male": "Male",
    "sex:female": "Female",
    "sex:other": "Other",
    "audit:entry.read": "Read entries",
    "audit:review": "Review",
    "audit:export": "Export",
    "audit:quota.set": "Set a quota",
    "audit:quota.import": "Imported quotas",
    "audit:volunteer.add": "Added a volunteer",
    "audit:code.issue": "Handed out a code",
    "audit:code.withdraw": "Withdrew a code",
    "audit:volunteer.active.no": "Deactivated a volunteer",
    "audit:volunteer.active.yes": "Reactivated a volunteer",
    "audit:device.revoke": "Revoked a laptop",
    "audit:bundle.import": "Imported a bundle",
    "audit:report.read": "Read the campaign report",
    "audit:report.export": "Downloaded the campaign report",
    "group:all": "Everyone",
    "group:youth": "Youth age (16–30)",
    "group:non_youth": "Outside youth age",
}
"""The English label of a code a page shows (`review:approved`); translated like any text."""
