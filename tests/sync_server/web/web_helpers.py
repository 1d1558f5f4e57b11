"""Helpers for the web tests: sign in like a person, read a form's CSRF token, add staff."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from api_factories import World
from fastapi.testclient import TestClient
from sqlalchemy import update

from sync_server.db.models import User

PASSWORD = "mật khẩu 123"
TOKEN = re.compile(r'name="csrf_token" value="([0-9a-f]*)"')
FIGURE = re.compile(
    r'data-unit="([^"]*)" data-service="[^"]*" data-metric="([^"]*)" data-value="([^"]*)"'
)


def figures(html: str) -> dict[tuple[str, str], str]:
    """(unit, metric) → data-value of every figure on a page."""
    return {(u, m): v for u, m, v in FIGURE.findall(html)}


def csrf_of(html: str) -> str:
    """The CSRF token of the first form on a page."""
    found = TOKEN.search(html)
    assert found is not None, "no form with a csrf_token on the page"
    return found.group(1)


AppFactory = Callable[..., tuple[TestClient, World]]
"""make_web(**settings) → a new client on the same database, and its World."""


def staff(world: World, role: str, unit: str | None, name: str, login: str = "") -> int:
    """A staff member with PASSWORD and, if given, a login name."""
    user_id = world.staff(role, unit, name, PASSWORD)
    if login:
        with world.factory() as session:
            session.execute(update(User).where(User.id == user_id).values(login=login))
            session.commit()
    return user_id


def sign_in(client: TestClient, username: str, password: str = PASSWORD) -> Any:
    """Fill the sign-in form like a person: fetch it, post it with its token."""
    page = client.get("/login")
    return client.post(
        "/login",
        data={"username": username, "password": password, "csrf_token": csrf_of(page.text)},
    )


def set_cookie(response: Any, name: str) -> tuple[str, str]:
    """(value, the whole Set-Cookie header) of a cookie the response sets."""
    for header in response.headers.get_list("set-cookie"):
        if header.startswith(f"{name}="):
            return header.split(";", 1)[0].split("=", 1)[1].strip('"'), header
    raise AssertionError(f"the response sets no {name} cookie")


def xlsx_matches_page(lines: list[tuple[Any, ...]], shown: dict[tuple[str, str], str]) -> None:
    """Each XLSX row of the campaign report holds, as numbers, the figures its page shows.

    `lines` are the sheet's rows under the headers (unit code first); `shown` maps (unit,
    metric) to the page's `data-value`. A share in the file (1.182) is 118.2 on the page.
    """
    from sync_server.services.campaign_files import COLUMNS, UNIT_COLUMNS

    for line in lines:
        code = str(line[0])
        for column, value in zip(COLUMNS[UNIT_COLUMNS:], line[UNIT_COLUMNS:], strict=False):
            on_page = shown[(code, column.metric)]
            if value is None:
                assert on_page == "", (code, column.metric)
            elif column.is_percent:
                assert isinstance(value, int | float) and f"{value * 100:.1f}" == on_page
            else:
                assert isinstance(value, int) and str(value) == on_page, (code, column.metric)
