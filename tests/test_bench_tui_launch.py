"""`bench/tui_launch.py`: a real launch of the app in a fresh interpreter, timed step by step.

Checks what the script reports, never how fast: each screen is noted when it first shows, and
the keys go straight to the app, so a wrong PIN must keep it from home.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

from bench.common import ROOT
from bench.entries import EntryMaker
from bench.laptop import bulk_fill, offline_store, province_villages
from bench.tui import LAUNCH_SCRIPT

PIN = "2468"


def _profile(home: Path) -> None:
    villages = province_villages()[:2]
    store = offline_store(home, villages)
    try:
        store.set_pin(PIN)
        bulk_fill(store, EntryMaker(seed=3, villages=[v.code for v in villages]), 50)
    finally:
        store.close()


def _launch(home: Path, pin: str) -> subprocess.CompletedProcess[str]:
    env = os.environ | {
        "FIELDKIT_HOME": str(home),
        "PYTHONPATH": str(ROOT),
        "BENCH_TUI_TIMEOUT": "8",
    }
    return subprocess.run(
        [sys.executable, str(LAUNCH_SCRIPT), str(home), repr(time.time()), pin],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
        cwd=ROOT,
    )


def test_launch_reports_each_step_seen_then_idle(tmp_path: Path) -> None:
    _profile(tmp_path)
    out = _launch(tmp_path, PIN)
    assert out.returncode == 0, out.stderr[-2000:]
    t = json.loads(out.stdout.strip().splitlines()[-1])
    assert 0 < t["imported_s"] <= t["unlock_ready_s"]
    assert t["unlock_to_home_s"] > 0 and t["n_to_form_s"] > 0
    assert t["form_ready_s"] == (t["unlock_ready_s"] + t["unlock_to_home_s"] + t["n_to_form_s"])
    assert t["form_ready_s"] <= t["wall_to_form_s"] + 1e-3 <= t["idle_after_form_s"] + 1e-3
    assert 0 < t["cpu_imported_s"] <= t["cpu_unlock_ready_s"] <= t["cpu_home_s"]
    assert t["cpu_home_s"] <= t["cpu_to_form_s"] <= t["cpu_idle_after_form_s"]


def test_a_wrong_pin_never_reaches_home(tmp_path: Path) -> None:
    _profile(tmp_path)
    out = _launch(tmp_path, "1357")
    assert out.returncode != 0
    assert "timed out waiting for the home screen" in out.stderr
