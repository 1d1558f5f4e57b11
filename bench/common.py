"""What every benchmark shares: timing statistics, the result table and its JSON file."""

from __future__ import annotations

import json
import math
import os
import platform
import socket
import statistics
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

BENCH_DIR = Path(__file__).resolve().parent
RESULTS_DIR = BENCH_DIR / "results"
ROOT = BENCH_DIR.parent


@dataclass
class Metric:
    """One measured figure, its target, and how it compares (ok None = for information)."""

    name: str
    measured: float
    unit: str
    target: str = ""
    verdict: str = ""
    ok: bool | None = None
    runs: list[float] = field(default_factory=list)
    """Every run's value in run order (measured is their median; see combine_runs)."""
    minimum: float | None = None
    maximum: float | None = None

    def shown(self) -> str:
        """The measured value with its unit, rounded for a person."""
        return f"{fmt_number(self.measured)} {self.unit}".strip()

    def spread(self) -> str:
        """'min – max' of the runs, rounded like the value ('' for a single run)."""
        if len(self.runs) < 2 or self.minimum is None or self.maximum is None:
            return ""
        return f"{fmt_number(self.minimum)} – {fmt_number(self.maximum)}"


@dataclass
class Report:
    """A benchmark's parameters, metrics and notes, printed as a table and saved as JSON."""

    name: str
    quick: bool
    params: dict[str, Any] = field(default_factory=dict)
    metrics: list[Metric] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    started_at: str = field(default_factory=lambda: datetime.now(UTC).isoformat())
    load_at_start: tuple[float, ...] = field(default_factory=os.getloadavg)
    elapsed_s: float = 0.0
    runs: list[dict[str, Any]] = field(default_factory=list)
    """Each run's own start, timing, params, notes and verdict (metric values: Metric.runs)."""

    def add(
        self,
        name: str,
        measured: float,
        unit: str,
        target: str = "",
        verdict: str = "",
        ok: bool | None = None,
    ) -> Metric:
        """Record one metric and return it."""
        metric = Metric(name, measured, unit, target, verdict, ok)
        self.metrics.append(metric)
        return metric

    def note(self, text: str) -> None:
        """Record a remark printed under the table (what was not measured, and why)."""
        self.notes.append(text)

    @property
    def passed(self) -> bool:
        """Whether no metric with a target missed it."""
        return all(m.ok is not False for m in self.metrics)


def fmt_number(value: float) -> str:
    """A figure with sensible precision: 1,234,567 / 12.3 / 0.0123."""
    if math.isnan(value):
        return "n/a"
    magnitude = abs(value)
    if magnitude >= 1000:
        return f"{value:,.0f}"
    if magnitude >= 100:
        return f"{value:.1f}"
    if magnitude >= 1:
        return f"{value:.2f}"
    return f"{value:.4f}"


def verdict_of(ok: bool | None, detail: str = "") -> str:
    """'PASS (detail)' / 'FAIL (detail)' / detail alone for information."""
    if ok is None:
        return detail
    word = "PASS" if ok else "FAIL"
    return f"{word} ({detail})" if detail else word


def combine_runs(reports: list[Report]) -> Report:
    """One report for several runs of a benchmark: each metric's median, min, max and values.

    A metric's verdict is that of its median run: sorted by value, the middle run's (both
    middle runs must pass for an even count), so it is the verdict on the median whenever the
    check compares the value itself with its target.
    """
    first = reports[0]
    combined = Report(first.name, first.quick, started_at=first.started_at)
    combined.load_at_start = first.load_at_start
    combined.elapsed_s = sum(r.elapsed_s for r in reports)
    by_name: dict[str, list[Metric]] = {}
    for report in reports:
        for metric in report.metrics:
            by_name.setdefault(metric.name, []).append(metric)
    for name, metrics in by_name.items():
        values = [m.measured for m in metrics]
        ranked = sorted(
            (m for m in metrics if not math.isnan(m.measured)), key=lambda m: m.measured
        )
        middle = _middle(ranked) or metrics[:1]
        oks = [m.ok for m in middle if m.ok is not None]
        details = list(dict.fromkeys(m.verdict for m in middle if m.verdict))
        numbers = [m.measured for m in ranked]
        combined.metrics.append(
            Metric(
                name,
                median(numbers),
                metrics[0].unit,
                metrics[0].target,
                " / ".join(details),
                all(oks) if oks else None,
                runs=values,
                minimum=min(numbers) if numbers else None,
                maximum=max(numbers) if numbers else None,
            )
        )
        if len(metrics) < len(reports):
            combined.note(f"{name!r} was measured in {len(metrics)} of {len(reports)} runs")
    for key in dict.fromkeys(k for r in reports for k in r.params):
        per_run = [r.params.get(key) for r in reports]
        same = all(v == per_run[0] for v in per_run)
        combined.params[key] = per_run[0] if same else per_run
    for index, report in enumerate(reports, start=1):
        for text in report.notes:  # a note some runs did not make says which run made it
            line = text if all(text in r.notes for r in reports) else f"run {index}: {text}"
            if line not in combined.notes:
                combined.note(line)
    combined.runs = [
        {
            "started_at": r.started_at,
            "elapsed_s": r.elapsed_s,
            "load_at_start": r.load_at_start,
            "params": r.params,
            "notes": r.notes,
            "passed": r.passed,
        }
        for r in reports
    ]
    return combined


def _middle(ranked: list[Metric]) -> list[Metric]:
    """The median element of a sorted list, or its two middle ones for an even length."""
    if not ranked:
        return []
    half = len(ranked) // 2
    return ranked[half : half + 1] if len(ranked) % 2 else ranked[half - 1 : half + 1]


def render_table(report: Report) -> str:
    """The report as a plain-text table: metric | measured | target | ratio/verdict.

    Several runs add a column: the value column is then the median and the next one the range.
    """
    count = len(report.runs)
    spread = ["min – max"] if count > 1 else []
    header = ["metric", f"median of {count}" if spread else "measured", *spread, "target"]
    rows = [[*header, "ratio / verdict"]]
    for m in report.metrics:
        cells = [m.name, m.shown(), *([m.spread()] if spread else []), m.target]
        rows.append([*cells, verdict_of(m.ok, m.verdict)])
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = [f"== {report.name}{' (quick)' if report.quick else ''}"]
    for index, row in enumerate(rows):
        lines.append(" | ".join(cell.ljust(widths[i]) for i, cell in enumerate(row)).rstrip())
        if index == 0:
            lines.append("-+-".join("-" * w for w in widths))
    lines.extend(f"  note: {text}" for text in report.notes)
    params = ", ".join(f"{k}={v}" for k, v in report.params.items())
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    runs = f" for {count} runs" if count > 1 else ""
    lines.append(f"  params: {params}; elapsed {report.elapsed_s:.1f} s{runs}; load avg now {load}")
    return "\n".join(lines)


def machine_info() -> dict[str, Any]:
    """Where the figures were measured."""
    return {
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
        "load_avg": os.getloadavg(),
    }


def write_json(report: Report) -> Path:
    """Save the report to bench/results/<name>.json and return the path."""
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    path = RESULTS_DIR / f"{report.name}.json"
    data = asdict(report) | {
        "measured_is": "the median of each metric's runs",
        "machine": machine_info(),
        "passed": report.passed,
    }
    path.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return path


def percentile(values: list[float], pct: float) -> float:
    """The pct-th percentile with linear interpolation between the nearest ranks."""
    if not values:
        return math.nan
    ordered = sorted(values)
    rank = (len(ordered) - 1) * pct / 100.0
    low = math.floor(rank)
    high = math.ceil(rank)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def median(values: list[float]) -> float:
    """The median (nan for no values)."""
    return statistics.median(values) if values else math.nan


@contextmanager
def stopwatch() -> Iterator[list[float]]:
    """Measure a block: the yielded list holds the elapsed seconds after the block."""
    box: list[float] = []
    started = time.perf_counter()
    try:
        yield box
    finally:
        box.append(time.perf_counter() - started)


def timed_reads(read: Any, most: int, budget_s: float = 90.0) -> list[float]:
    """Milliseconds of up to `most` calls of read() (at least 20), stopping once the budget
    is spent."""
    out: list[float] = []
    deadline = time.perf_counter() + budget_s
    while len(out) < most and (len(out) < 20 or time.perf_counter() < deadline):
        t0 = time.perf_counter()
        read()
        out.append((time.perf_counter() - t0) * 1000)
    return out


def free_port() -> int:
    """A TCP port on loopback that nobody listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def wait_until(check: Any, timeout: float, what: str, interval: float = 0.05) -> None:
    """Poll check() until it returns true, or raise TimeoutError naming what we waited for."""
    deadline = time.monotonic() + timeout
    last: BaseException | None = None
    while time.monotonic() < deadline:
        try:
            if check():
                return
        except Exception as exc:  # the thing we wait for is not up yet
            last = exc
        time.sleep(interval)
    raise TimeoutError(f"timed out after {timeout:.0f} s waiting for {what}: {last!r}")
