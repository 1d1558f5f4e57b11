"""Vietnamese for the province's pages: the campaign report and commune quotas; `i18n.VI` takes
them in."""

from __future__ import annotations

REPORT_VI: dict[str, str] = {
    # The campaign report
    "Campaign report": "Báo cáo chiến dịch",
    "Year {period}": "Năm {period}",
    "Date made": "Ngày lập",
    "Download XLSX": "Tải tệp XLSX",
    "official": "chính thức",
    "gap": "chênh lệch",
    "One row per commune, the province's totals last.": (
        "Mỗi xã một dòng, dòng cuối là tổng cộng của tỉnh."
    ),
    "One row per village, the commune's totals last.": (
        "Mỗi thôn một dòng, dòng cuối là tổng cộng của xã."
    ),
    "No units under this one.": "Không có đơn vị trực thuộc.",
    "Beside a figure the official systems also count: the official figure, and the gap (ours "
    "minus the official one).": (
        "Bên cạnh số liệu có số chính thức: số chính thức và chênh lệch (số của ta trừ số chính "
        "thức)."
    ),
    "The campaign report is made for a province or a commune.": (
        "Báo cáo chiến dịch chỉ lập cho tỉnh hoặc xã."
    ),
    "Province pages": "Các trang của tỉnh",
    # Quotas set by the province
    "Commune quotas": "Chỉ tiêu xã",
    "Communes against the province's quota": "Các xã so với chỉ tiêu của tỉnh",
    "The communes' quotas add up to less than the province's own quota for {count} quotas.": (
        "Tổng chỉ tiêu các xã thấp hơn chỉ tiêu của tỉnh ở {count} chỉ tiêu."
    ),
    "Province's quota": "Chỉ tiêu của tỉnh",
    "Sum over communes": "Tổng các xã",
    "The province has no quota": "Tỉnh chưa có chỉ tiêu",
    "Quotas per commune": "Chỉ tiêu từng xã",
    "Commune quotas, {period}": "Chỉ tiêu các xã, {period}",
    "Sum of commune quotas, {period}": "Tổng chỉ tiêu các xã, {period}",
    "Commune": "Xã",
    "Target group": "Nhóm đối tượng",
    "Everyone": "Mọi người dân",
    "Youth age (16–30)": "Trong độ tuổi thanh niên (16–30)",
    "Outside youth age": "Ngoài độ tuổi thanh niên",
    "Columns: {columns} (as for sync-server quota import; group is all, youth or non_youth, "
    "empty means all). If any row is wrong nothing is saved, and every wrong row is listed.": (
        "Các cột: {columns} (như lệnh sync-server quota import; group là all, youth hoặc "
        "non_youth, để trống là all). Nếu có dòng sai thì không lưu gì, và mọi dòng sai được "
        "liệt kê."
    ),
    "Read the campaign report": "Xem báo cáo chiến dịch",
    "Downloaded the campaign report": "Tải báo cáo chiến dịch",
}
