"""Vietnamese for the province page, its charts and every page's "figures as of" line;
`i18n.VI` takes them in."""

from __future__ import annotations

PROVINCE_VI: dict[str, str] = {
    "Figures as of the last sync received:": "Số liệu tính đến lần đồng bộ gần nhất nhận được:",
    "No laptop of this unit has synced yet.": "Chưa có máy tính nào của đơn vị này đồng bộ.",
    "Province pages": "Các trang của tỉnh",
    "Citizens helped": "Người dân được hỗ trợ",
    "The province against its quota": "Kết quả của tỉnh so với chỉ tiêu",
    "Entries counted per week": "Số mục được tính theo tuần",
    "The figures of the chart": "Số liệu của biểu đồ",
    "Entries counted per week and service, {period}": (
        "Số mục được tính theo tuần và dịch vụ, {period}"
    ),
    "Week from": "Tuần từ ngày",
    "Every row on one scale: its top is {count} entries a week": (
        "Các dòng cùng một thang: đỉnh là {count} mục mỗi tuần"
    ),
    "Communes": "Các xã",
    "Commune": "Xã",
    "Furthest behind first": "Xã chậm nhất trước",
    "Fewest citizens helped": "Ít người dân được hỗ trợ nhất",
    "Most waiting for review": "Nhiều mục chờ duyệt nhất",
    "Fewest laptops synced": "Ít máy tính đã đồng bộ nhất",
    "Achieved against quota per commune, {period}": "Kết quả so với chỉ tiêu theo xã, {period}",
    "Laptops synced in the last {hours} hours": "Máy tính đã đồng bộ trong {hours} giờ qua",
    "no laptop": "chưa có máy tính",
    "This province has no communes yet.": "Tỉnh chưa có xã nào.",
    "Communes ranked by share of quota": "Xếp hạng xã theo tỷ lệ đạt chỉ tiêu",
    "Communes ranked by share of quota: {service}": (
        "Xếp hạng xã theo tỷ lệ đạt chỉ tiêu: {service}"
    ),
    "{unit}: achieved against quota per service, {period}": (
        "{unit}: kết quả so với chỉ tiêu theo dịch vụ, {period}"
    ),
    "The table of services below gives the same figures.": (
        "Bảng dịch vụ bên dưới cho cùng các số liệu này."
    ),
    "The table under the chart gives the same figures.": (
        "Bảng dưới biểu đồ cho cùng các số liệu này."
    ),
    "No entry counted yet in this period.": "Chưa có mục nào được tính trong kỳ này.",
    "The table of communes above gives the same figures.": (
        "Bảng các xã ở trên cho cùng các số liệu này."
    ),
    "Every page of entries someone opened, every decision, every report and every export in "
    "this province and its communes.": (
        "Mọi trang danh sách mục đã được mở, mọi quyết định duyệt, mọi lần xem báo cáo và mọi lần "
        "xuất dữ liệu ở tỉnh và các xã của tỉnh."
    ),
}
