"""Login names made from people's names: ASCII, unique, never mistaken for a user number."""

from __future__ import annotations

import pytest

from sync_server.services.logins import LOGIN_PATTERN, derive_login, login_base


@pytest.mark.parametrize(
    ("name", "login"),
    [
        ("Nguyễn Văn Đức", "nguyen.van.duc"),
        ("ĐẶNG  THỊ ÁNH", "dang.thi.anh"),
        ("Lò Thị Mai (Tổ 3)", "lo.thi.mai.to.3"),
        ("Hồ Chí Minh-2", "ho.chi.minh.2"),
        ("123", "user.123"),
        ("!!!", "user"),
    ],
)
def test_login_base(name: str, login: str) -> None:
    assert login_base(name) == login
    assert LOGIN_PATTERN.fullmatch(login)
    assert not login.isdigit()


def test_long_names_make_logins_that_fit() -> None:
    login = login_base("Nguyễn " * 20)
    assert len(derive_login("Nguyễn " * 20, {login})) <= 60 and login.startswith("nguyen.")


def test_collisions_get_the_next_free_number() -> None:
    taken = {"nguyen.van.duc", "nguyen.van.duc2"}
    assert derive_login("Nguyễn Văn Đức", taken) == "nguyen.van.duc3"
    assert derive_login("Nguyễn Văn Đức", set()) == "nguyen.van.duc"
