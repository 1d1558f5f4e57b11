"""A real `sync-server serve` and a real headless Chromium: a coordinator signs in and lands home.

Set FIELDKIT_SHOTS_DIR to also save screenshots of the sign-in and unit pages at 1366×768 and
390×844 in both languages.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from api_factories import COMMUNE_A, World
from browser_helpers import serious_violations

from sync_server.db.engine import make_engine, make_sessionmaker
from sync_server.db.models import Quota

pytestmark = pytest.mark.slow

NEW_PASSWORD = "hoa-chon-mat-khau-rieng"
SIZES = {"desktop": (1366, 768), "phone": (390, 844)}


def _cli(url: str, *args: str) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "sync_server.cli", "--db", url, *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


@pytest.fixture
def served(tmp_path: Path, web_template: Path) -> Iterator[tuple[str, dict[str, Any]]]:
    """A seeded database, a coordinator made with `user add --json`, and `serve` on a free port."""
    path = tmp_path / "server.sqlite3"
    shutil.copyfile(web_template, path)
    url = f"sqlite:///{path}"
    engine = make_engine(url)
    World(make_sessionmaker(engine)).units()
    with make_sessionmaker(engine)() as session:
        session.add(Quota(unit_code=COMMUNE_A, service="dvc_account", period="2026", target=1500))
        session.commit()
    added = json.loads(
        _cli(
            url,
            "user",
            "add",
            "--role",
            "coordinator",
            "--unit",
            COMMUNE_A,
            "--name",
            "Nguyễn Thị Hoa",
            "--json",
        )
    )
    server = subprocess.Popen(
        [sys.executable, "-m", "sync_server.cli", "--db", url, "serve", "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=(tmp_path / "serve.log").open("w"),
        text=True,
        env=os.environ | {"SYNC_SERVER_DATA_DIR": str(tmp_path)},
        start_new_session=True,
    )
    try:
        assert server.stdout is not None
        line = server.stdout.readline()
        while line and "listening on" not in line:
            line = server.stdout.readline()
        assert "listening on http://127.0.0.1:" in line, (tmp_path / "serve.log").read_text()
        yield line.strip().rsplit(" ", 1)[1], added
    finally:
        server.terminate()
        server.wait(timeout=30)
        engine.dispose()


def _shoot(page: Any, name: str) -> None:
    folder = os.environ.get("FIELDKIT_SHOTS_DIR")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(folder) / f"{name}.png"), full_page=True)


def test_a_coordinator_signs_in_and_lands_on_the_commune_page(
    served: tuple[str, dict[str, Any]], browser: Any
) -> None:
    base, added = served
    assert added["url"].endswith("/login") and added["login"] == "nguyen.thi.hoa"
    context = browser.new_context(viewport={"width": 1366, "height": 768})
    requests: list[str] = []
    context.on("request", lambda request: requests.append(request.url))
    page = context.new_page()
    page.goto(f"{base}/")
    assert page.url == f"{base}/login"
    assert page.locator("html").get_attribute("lang") == "vi"
    page.fill("input[name=username]", added["login"])
    page.fill("input[name=password]", added["password"])
    page.click("button[type=submit].primary")
    page.wait_for_url(f"{base}/password")
    page.fill("#current", added["password"])
    page.fill("#new", NEW_PASSWORD)
    page.fill("#again", NEW_PASSWORD)
    page.click("button[type=submit].primary")
    page.wait_for_url(f"{base}/units/{COMMUNE_A}")
    assert page.locator("h1").inner_text().startswith("Xã An Nhơn")
    quota = page.locator(
        f'[data-unit="{COMMUNE_A}"][data-service="dvc_account"][data-metric="quota"]'
    )
    assert quota.get_attribute("data-value") == "1500" and quota.inner_text() == "1.500"
    cookie = next(c for c in context.cookies() if c["name"] == "fk_session")
    assert cookie["httpOnly"] and cookie["sameSite"] == "Strict"
    page.click("text=Đăng xuất")
    page.wait_for_url(f"{base}/login?signed_out=1")
    assert "Bạn đã đăng xuất." in page.content()
    page.goto(f"{base}/units/{COMMUNE_A}")
    assert page.url.startswith(f"{base}/login?next=")
    assert all(url.startswith(base) for url in requests), [
        u for u in requests if not u.startswith(base)
    ]
    context.close()


def test_signing_in_works_with_javascript_off(
    served: tuple[str, dict[str, Any]], browser: Any
) -> None:
    base, added = served
    context = browser.new_context(java_script_enabled=False, viewport={"width": 390, "height": 844})
    page = context.new_page()
    page.goto(f"{base}/login")
    page.fill("input[name=username]", added["login"])
    page.fill("input[name=password]", added["password"])
    page.click("button[type=submit].primary")
    page.wait_for_url(f"{base}/password")
    context.close()


def test_screenshots_of_the_shell(served: tuple[str, dict[str, Any]], browser: Any) -> None:
    base, added = served
    context = browser.new_context()
    page = context.new_page()
    page.goto(f"{base}/login")
    page.fill("input[name=username]", added["login"])
    page.fill("input[name=password]", added["password"])
    page.click("button[type=submit].primary")
    page.wait_for_url(f"{base}/password")
    page.fill("#current", added["password"])
    page.fill("#new", NEW_PASSWORD)
    page.fill("#again", NEW_PASSWORD)
    page.click("button[type=submit].primary")
    page.wait_for_url(f"{base}/units/{COMMUNE_A}")
    anonymous = browser.new_context()
    signed_out = anonymous.new_page()
    for lang in ("vi", "en"):
        for label, (width, height) in SIZES.items():
            for tab, path, name in (
                (signed_out, "/login", "login"),
                (page, f"/units/{COMMUNE_A}", "unit"),
            ):
                tab.set_viewport_size({"width": width, "height": height})
                tab.goto(f"{base}/lang?to={lang}&next={path}")
                assert tab.locator("html").get_attribute("lang") == lang
                overflow = tab.evaluate(
                    "document.documentElement.scrollWidth - document.documentElement.clientWidth"
                )
                assert overflow <= 0, (name, lang, label, overflow)
                _shoot(tab, f"{name}-{lang}-{label}")
    page.emulate_media(media="print")  # the print stylesheet: figures only, no controls
    assert page.locator("table.data").first.is_visible()
    for control in (".tools", "form", "button", "footer"):
        found = page.locator(control).all()
        assert found and all(element.is_hidden() for element in found), control
    anonymous.close()
    context.close()


def test_the_shell_pages_have_no_serious_accessibility_problems(
    served: tuple[str, dict[str, Any]], browser: Any
) -> None:
    pytest.importorskip("axe_playwright_python.sync_playwright")
    base, added = served
    context = browser.new_context(viewport={"width": 1366, "height": 768})
    page = context.new_page()
    problems: dict[str, list[str]] = {}

    def check(name: str) -> None:
        serious = serious_violations(page)
        if serious:
            problems[name] = serious

    page.goto(f"{base}/login")
    check("login")
    page.fill("input[name=username]", added["login"])
    page.fill("input[name=password]", "sai mật khẩu")
    page.click("button[type=submit].primary")
    check("login with an error")
    page.fill("input[name=password]", added["password"])
    page.click("button[type=submit].primary")
    page.wait_for_url(f"{base}/password")
    check("password (forced)")
    page.fill("#current", added["password"])
    page.fill("#new", NEW_PASSWORD)
    page.fill("#again", NEW_PASSWORD)
    page.click("button[type=submit].primary")
    page.wait_for_url(f"{base}/units/{COMMUNE_A}")
    for lang in ("vi", "en"):
        page.goto(f"{base}/lang?to={lang}&next=/units/{COMMUNE_A}")
        check(f"unit page ({lang})")
    page.goto(f"{base}/units/99999")
    check("404 page")
    page.goto(f"{base}/units/52")
    check("403 page")
    assert problems == {}
    context.close()
