"""Enrolment over HTTP: a code becomes a token once; bad codes get a clear message."""

from __future__ import annotations

import pytest
import sync_chaos
from sync_chaos import VILLAGE_A, Served

from fieldkit.sync import SyncError, enroll


def test_enroll_returns_device_token_villages_and_epoch(served: Served) -> None:
    code = sync_chaos.add_volunteer(served.db_url, VILLAGE_A, "Võ Thị Giang")
    response = enroll(served.url + "/", f"  {code.lower()}  ", "Máy tổ 1")
    assert response.user_name == "Võ Thị Giang"
    assert [v.code for v in response.villages] == [VILLAGE_A]
    assert response.villages[0].name == sync_chaos.VILLAGE_NAMES[VILLAGE_A]
    assert response.token and response.device_id and response.server_epoch


def test_a_code_works_once(served: Served) -> None:
    code = sync_chaos.add_volunteer(served.db_url, VILLAGE_A, "Võ Thị Giang")
    enroll(served.url, code, "first")
    with pytest.raises(SyncError) as caught:
        enroll(served.url, code, "second")
    assert caught.value.code == "enroll_invalid"
    assert "401" in caught.value.detail


@pytest.mark.parametrize("code", ["WRONG-CODE", "x" * 64, "ab", "", "'; DROP TABLE users; --"])
def test_bad_codes_are_refused_clearly(served: Served, code: str) -> None:
    with pytest.raises(SyncError) as caught:
        enroll(served.url, code, "laptop\x00name")
    assert caught.value.code == "enroll_invalid"
    assert "Mã đăng ký" in caught.value.message("vi")


def test_enroll_against_nothing_is_unreachable() -> None:
    with pytest.raises(SyncError) as caught:
        enroll("http://127.0.0.1:9", "ABCDEFGH", "laptop")
    assert caught.value.code == "unreachable"


def test_too_many_wrong_codes_from_one_laptop_say_how_long_to_wait(served: Served) -> None:
    code = sync_chaos.add_volunteer(served.db_url, VILLAGE_A, "Võ Thị Giang")
    for n in range(20):  # the server's default: 20 failures per address in 10 minutes
        with pytest.raises(SyncError) as caught:
            enroll(served.url, f"SAI-MA-{n:02d}", "laptop")
        assert caught.value.code == "enroll_invalid"
    with pytest.raises(SyncError) as caught:
        enroll(served.url, code, "laptop")
    assert caught.value.code == "enroll_throttled"
    assert "đợi 10 phút" in caught.value.message("vi")
    assert "Wait 10 min" in caught.value.message("en")
