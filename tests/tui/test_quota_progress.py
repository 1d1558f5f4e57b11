"""Home and `fieldkit status` say a village's quota progress in the same words."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from fieldkit.store import Store
from fieldkit.tui.screens.home import HomeScreen
from fieldkit.tui.widgets.quota_bar import QuotaBar
from tests.tui.conftest import VILLAGE, AppFactory, pull_tallies, settle

pytestmark = pytest.mark.anyio

FIELDKIT = Path(sys.executable).with_name("fieldkit")
# service: (quota, achieved) as the last sync left them; a quota of 0 sets no target.
TALLIES: dict[str, tuple[int | None, int]] = {
    "vneid_level1": (0, 3),
    "vneid_level2": (40, 12),
    "dvc_account": (None, 1234),
}
EXPECTED = {
    "vi": {"vneid_level1": "3/—", "vneid_level2": "12/40 (30,0 %)", "dvc_account": "1.234/—"},
    "en": {"vneid_level1": "3/—", "vneid_level2": "12/40 (30.0%)", "dvc_account": "1,234/—"},
}


def status_lines(home: Path, lang: str) -> list[str]:
    """`fieldkit status`, run as a volunteer would, one line per printed row."""
    env = {**os.environ, "FIELDKIT_HOME": str(home), "FIELDKIT_LANG": lang}
    env.pop("FIELDKIT_PROFILE", None)
    done = subprocess.run(
        [str(FIELDKIT), "status"], capture_output=True, text=True, env=env, timeout=60
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.splitlines()


@pytest.mark.parametrize("lang", ["vi", "en"])
async def test_home_and_status_show_achieved_over_quota_alike(
    store: Store, home: Path, make_app: AppFactory, lang: str
) -> None:
    pull_tallies(store, TALLIES)
    rows = store.status().villages
    village = next(row.village_name for row in rows if row.village == VILLAGE)
    expected = EXPECTED[lang]
    # The CLI: one line per service with a quota or progress, ending with the progress.
    printed = status_lines(home, lang)
    for progress in expected.values():
        found = [line for line in printed if line.startswith(f"  {village} · ")]
        assert any(line.endswith(f": {progress}") for line in found), (progress, printed)
    assert not any("/0" in line for line in printed), "a quota of 0 is no quota"
    # Home: one bar per service, its text ending with the same progress.
    app = make_app(store=store, lang=lang)
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, HomeScreen)
        bars = list(screen.query(QuotaBar))
        shown = {
            row.service: str(bar.render()).rstrip()
            for row, bar in zip(rows, bars, strict=True)
            if row.village == VILLAGE
        }
        for service, progress in expected.items():
            assert shown[service].endswith(f" {progress}"), (service, shown[service])
