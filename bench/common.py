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

    def shown(self) -> str:
        """The measured value with its unit, rounded for a person."""
        return f"{fmt_number(self.measured)} {self.unit}".strip()


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


def render_table(report: Report) -> str:
    """The report as a plain-text table: metric | measured | target | ratio/verdict."""
    header = ("metric", "measured", "target", "ratio / verdict")
    rows = [header] + [
        (m.name, m.shown(), m.target, verdict_of(m.ok, m.verdict)) for m in report.metrics
    ]
    widths = [max(len(row[i]) for row in rows) for i in range(4)]
    lines = [f"== {report.name}{' (quick)' if report.quick else ''}"]
    for index, row in enumerate(rows):
        lines.append(" | ".join(cell.ljust(widths[i]) for i, cell in enumerate(row)).rstrip())
        if index == 0:
            lines.append("-+-".join("-" * w for w in widths))
    lines.extend(f"  note: {text}" for text in report.notes)
    params = ", ".join(f"{k}={v}" for k, v in report.params.items())
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    lines.append(f"  params: {params}; elapsed {report.elapsed_s:.1f} s; load avg now {load}")
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
    data = asdict(report) | {"machine": machine_info(), "passed": report.passed}
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
