"""The kept people counts' fast path for a push's first-time citizens agrees with the plain one.

`Shares.add_first_rows` sums a push's citizens with one new row in one pass; `Shares.add`
works any citizen out from all their entries. Fixed-seed random rows, each citizen's rows
summed both ways, must give the same figures for every unit and period.
"""

from __future__ import annotations

import random
from typing import Any

from sync_server.services.citizens import _COLUMNS, ACCOUNT, TRANSACTION, Shares

SERVICES = (ACCOUNT, TRANSACTION, "vneid_install", "vneid_level2")
VILLAGES = (("v1", "c1", "p1"), ("v2", "c1", "p1"), ("v3", "c2", "p1"), ("v4", "c3", "p2"))


def _rows(rng: random.Random, citizen: int) -> list[dict[str, Any]]:
    period = rng.choice(("2025", "2026"))
    home = rng.choice(VILLAGES)
    rows = []
    for _ in range(rng.choice((1, 1, 2, 3, 4))):
        village, commune, province = rng.choice(VILLAGES) if rng.random() < 0.2 else home
        outcome = rng.choice(("success", "success", "failure", "pending"))
        rows.append(
            {
                "citizen_key": f"k{citizen}",
                "period": period,
                "village_code": village,
                "commune_code": commune,
                "province_code": province,
                "service": rng.choice(SERVICES),
                "outcome": outcome,
                "counted": outcome == "success" and rng.random() < 0.8,
                "review_status": rng.choice(("pending", "pending", "flagged", "rejected")),
                "id": f"e{citizen}-{len(rows)}",
            }
        )
    return rows


def test_first_rows_fast_path_agrees_with_the_plain_share() -> None:
    rng = random.Random(20261206)
    citizens = [_rows(rng, n) for n in range(3000)]
    fast, plain = Shares(), Shares()
    fast.add_first_rows(citizens)
    for rows in citizens:
        plain.add([tuple(row[c] for c in _COLUMNS) for row in rows])
    assert fast.units() == plain.units()
    assert {u: fast.figures(u) for u in fast.units()} == {
        u: plain.figures(u) for u in plain.units()
    }
    # The mix reaches both ways and every figure: not a test of empty counters.
    assert sum(plain.transacting.values()) > 50
    assert sum(1 for rows in citizens if len({r["village_code"] for r in rows}) > 1) > 100
    assert sum(1 for rows in citizens if len(rows) == 1) > 500
