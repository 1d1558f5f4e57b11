"""The options of one entry's fields, defined once for `fieldkit add` and `fieldkit edit`.

`add` requires some of them; `edit` takes each as optional (a field not given stays as it is).
"""

from __future__ import annotations

import typer

NAME = typer.Option("--name", help="Họ tên / full name.")
ID_NUMBER = typer.Option("--id-number", help="Số định danh 12 số / 12-digit identity number.")
BIRTH_YEAR = typer.Option("--birth-year", help="Năm sinh / birth year.")
SEX = typer.Option("--sex", help="male|female (nam|nữ).")
SERVICE = typer.Option("--service", help="Dịch vụ (lặp lại được) / service (repeatable).")
OUTCOME = typer.Option("--outcome", help="success|pending|referred|failed|declined")
REASON = typer.Option("--reason", help="Lý do (lặp lại được) / reason (repeatable).")
PHONE = typer.Option("--phone", help="Số điện thoại / phone number.")
VILLAGE = typer.Option("--village", help="Mã thôn / village code.")
CONSENT = typer.Option("--consent", help="Người dân đã đồng ý / the citizen agreed.")
CONSENT_METHOD = typer.Option("--consent-method", help="verbal|written")
YES = typer.Option("--yes", help="Xác nhận các cảnh báo / confirm the warnings.")
NOTE = typer.Option("--note", help="Ghi chú / note.")
DEVICE_OWNER = typer.Option("--device-owner", help="citizen|relative|volunteer")
AT = typer.Option("--at", help="dd/mm/yyyy [HH:MM]")
JSON = typer.Option("--json", help="In JSON / print JSON.")
