"""`python -m bench ingest --against REV`: this checkout's ingest rate beside REV's, in one run.

Absolute rates drift by a third between runs on a shared machine, so comparing two figures
from different runs says little about a change of 10 %. Here both versions push the very same
entries (made once per pair, before any clock starts) into a fresh database each, served by
`sync-server serve` from their own code: this checkout's, and a `git worktree` of REV's (a
subprocess whose module path starts with that worktree; its database migrated and seeded by
its own code). Runs alternate, this–REV then REV–this, so a drift of the machine's load
touches both alike; each pair gives a ratio, and the table shows the medians. Beside the rates,
the CPU time all server processes spent per entry (from /proc): on a loaded machine a rate
mostly measures the load, CPU per entry mostly the code.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from bench.checkout import checked_out, describe_head
from bench.common import ROOT, Report, combine_runs
from bench.ingest import BATCH, DEVICES, FULL_ENTRIES, QUICK_ENTRIES, WORKERS, Pushed, push_workload

WITHIN = 0.90
"""A change keeps ingest "within 10 %": this checkout's rate is at least 90 % of REV's."""


def _pushed(quick: bool, root: Path, batches: Pushed | None) -> Pushed:
    with tempfile.TemporaryDirectory(prefix="bench-ingest-") as tmp:
        return push_workload(Path(tmp), quick, root, batches.batches if batches else None)


def _pair(quick: bool, index: int, rev: str, other: Path) -> Report:
    """One run of each version (this one first in even pairs); their rates and ratio."""
    report = Report("ingest_against", quick)
    sides = [("this", ROOT), (rev, other)]
    if index % 2:
        sides.reverse()
    pushed: dict[str, Pushed] = {}
    first: Pushed | None = None
    for label, root in sides:
        print(f"   pair {index + 1}: {label} …", flush=True)
        pushed[label] = _pushed(quick, root, first)
        first = first or pushed[label]
    for label, result in pushed.items():
        accepted = result.statuses.get("accepted", 0)
        if accepted != sum(result.statuses.values()):
            report.note(f"{label}: not every item was accepted: {dict(result.statuses)}")
        if result.busy:
            report.note(f"{label}: server answered 503 database_busy {len(result.busy)}×")
        report.params[f"order_{label}"] = [name for name, _ in sides].index(label) + 1
    ours, theirs = pushed["this"].rate, pushed[rev].rate
    ratio = ours / theirs
    report.add("this checkout: HTTP push into SQLite", ours, "entries/s")
    report.add(f"{rev}: HTTP push into SQLite", theirs, "entries/s")
    report.add(
        f"rate: this ÷ {rev}",
        ratio,
        "×",
        f"≥ {WITHIN:.2f}",
        f"{ratio:.0%} of {rev}",
        ratio >= WITHIN,
    )
    # CPU per entry moves far less with other load on the machine than a rate does.
    our_cpu, their_cpu = pushed["this"].server_cpu_per_entry, pushed[rev].server_cpu_per_entry
    report.add("this checkout: server CPU per entry", our_cpu * 1e6, "µs")
    report.add(f"{rev}: server CPU per entry", their_cpu * 1e6, "µs")
    share = their_cpu / our_cpu
    report.add(
        f"CPU: {rev} ÷ this", share, "×", f"≥ {WITHIN:.2f}", f"{1 / share:.0%} of {rev}'s CPU",
        share >= WITHIN,
    )  # fmt: skip
    return report


def run_against(quick: bool, runs: int, rev: str) -> Report:
    """`runs` alternating pairs of this checkout and REV; medians, ranges and every value."""
    with checked_out(rev) as (other, commit):
        pairs = [_pair(quick, index, rev, other) for index in range(runs)]
    report = combine_runs(pairs)
    report.params = {
        "entries": QUICK_ENTRIES if quick else FULL_ENTRIES,
        "devices": DEVICES,
        "batch": BATCH,
        "workers": WORKERS,
        "pairs": runs,
        "this": describe_head(),
        "against": f"{rev} = {commit[:10]}",
    }
    return report
