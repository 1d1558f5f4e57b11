"""`python -m bench --runs N`: one row per metric with the median, its range and its verdict."""

from __future__ import annotations

import math
import uuid
from pathlib import Path

import pytest

from bench.common import Report, combine_runs, render_table


def _run(per_entry: float, note: str = "", **params: object) -> Report:
    report = Report("wire", quick=True, params=dict(params))
    ok = per_entry <= 100
    report.add("per entry", per_entry, "B", "≤ 100 B", f"{per_entry / 100:.2f}× target", ok)
    report.add("body", per_entry * 500, "B")
    if note:
        report.note(note)
    report.elapsed_s = 1.0
    return report


def test_median_range_and_the_median_runs_verdict() -> None:
    combined = combine_runs([_run(120), _run(90), _run(80)])
    row = combined.metrics[0]
    assert (row.measured, row.minimum, row.maximum) == (90, 80, 120)
    assert row.runs == [120, 90, 80]  # in run order
    assert row.ok is True and row.verdict == "0.90× target"  # one run failed, the median passes
    assert combined.passed and combined.elapsed_s == 3.0 and len(combined.runs) == 3
    assert [r["passed"] for r in combined.runs] == [False, True, True]


def test_even_count_passes_only_if_both_middle_runs_pass() -> None:
    combined = combine_runs([_run(80), _run(99), _run(101), _run(130)])
    row = combined.metrics[0]
    assert row.measured == 100 and row.ok is False
    assert row.verdict == "0.99× target / 1.01× target"


def test_params_and_notes_that_differ_say_per_run() -> None:
    combined = combine_runs(
        [_run(50, "same", size=1, busy=0), _run(51, "same", size=1, busy=2), _run(52, "late")]
    )
    assert combined.params["size"] == [1, 1, None]
    assert combined.params["busy"] == [0, 2, None]
    assert combined.notes == ["run 1: same", "run 2: same", "run 3: late"]
    alike = combine_runs([_run(50, "same", size=1), _run(51, "same", size=1)])
    assert alike.params == {"size": 1} and alike.notes == ["same"]


def test_a_metric_missing_from_a_run_and_nan_values() -> None:
    partial = _run(math.nan)
    partial.metrics.pop()
    combined = combine_runs([_run(60), partial, _run(70)])
    row, body = combined.metrics
    assert (row.measured, row.minimum, row.maximum) == (65, 60, 70)
    assert len(row.runs) == 3 and math.isnan(row.runs[1])
    assert body.runs == [30_000, 35_000]
    assert "'body' was measured in 2 of 3 runs" in combined.notes


def test_tables_for_one_run_and_for_several() -> None:
    one = render_table(combine_runs([_run(53)]))
    assert "| measured |" in one and "min – max" not in one
    several = render_table(combine_runs([_run(53), _run(54), _run(55)]))
    header, _, first = several.splitlines()[1:4]
    assert [c.strip() for c in header.split(" | ")[1:3]] == ["median of 3", "min – max"]
    assert [c.strip() for c in first.split(" | ")[1:3]] == ["54.00 B", "53.00 – 55.00"]
    assert "PASS (0.54× target)" in first and "for 3 runs" in several


@pytest.mark.slow
def test_the_province_benchmark_runs_small(
    db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`python -m bench province` in its small mode (SQLite, and PostgreSQL too when `db_url`
    is there): every row present, and a route the app does not have is reported as missing
    instead of failing the run."""
    from bench import province_pages
    from bench.dataset import drop_postgres

    name = None
    if db_url.startswith("postgresql"):
        monkeypatch.setenv("BENCH_PG_URL", db_url)  # the server the bench makes its own db on
        name = f"bench_{uuid.uuid4().hex[:12]}"
    try:
        report = province_pages.measure(province_pages.small(tmp_path, name), quick=True)
    finally:
        if name:
            drop_postgres(name)
    labels = ["SQLite, province 52, 2,000 entries"]
    if name:
        labels.append("PostgreSQL, 2 provinces, 3,000 entries")
    rows = {m.name: m for m in report.metrics}
    for label in labels:
        for figure in ("province page", "campaign report HTML", "campaign report XLSX"):
            row = rows[f"{label}: {figure} p95"]
            assert row.verdict == "route missing" or not math.isnan(row.measured)
        for figure in ("read_tally(province, children=True)", "campaign_report(province)"):
            assert not math.isnan(rows[f"{label}: {figure} p95"].measured)
            assert rows[f"{label}: {figure} p50 / recount"].ok is not None
        # Every pushed entry showed on the province's figures (how soon is the bench's call).
        assert not math.isnan(rows[f"{label}: push ack → province figures max"].measured)
        assert rows[f"{label}: recount(fix=False) median"].measured > 0
    assert not any("mismatches" in note for note in report.notes)
    table = render_table(report)
    assert "route missing" in table or "campaign report HTML p50 / recount" in table
