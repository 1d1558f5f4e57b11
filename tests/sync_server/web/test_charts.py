"""The inline SVG charts: named images, hostile labels escaped, bars within the drawing."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from sync_server.web import charts

SVG = "{http://www.w3.org/2000/svg}"


def _parse(markup: str) -> ET.Element:
    root = ET.fromstring(str(markup))  # well-formed XML, or this raises
    assert root.get("role") == "img"
    title_id, desc_id = (root.get("aria-labelledby") or "").split()
    assert root.find(f"{SVG}title").get("id") == title_id  # type: ignore[union-attr]
    assert root.find(f"{SVG}desc").get("id") == desc_id  # type: ignore[union-attr]
    return root


def test_progress_bars_stay_within_the_drawing_and_mark_the_quota() -> None:
    bars = [
        charts.Bar("Định danh mức 2", 150, 100, "150 / 100 (150,0 %)"),
        charts.Bar("Tài khoản DVC", 30, 200, "30 / 200 (15,0 %)"),
        charts.Bar("Không chỉ tiêu", 7, None, "7 / —"),
    ]
    root = _parse(charts.progress_bars("Tiến độ", "Bảng bên dưới", bars))
    widths = [float(r.get("width", "0")) for r in root.iter(f"{SVG}rect")]
    assert widths and all(0 <= w <= charts.BAR_WIDTH for w in widths)
    assert len(list(root.iter(f"{SVG}line"))) == 2  # a tick for each bar with a quota
    assert [t.text for t in root.iter(f"{SVG}text")][:2] == ["Định danh mức 2", bars[0].text]


def test_hostile_labels_are_text_not_markup() -> None:
    evil = '<script>alert(1)</script>" onload="x'
    for markup in (
        charts.progress_bars(evil, evil, [charts.Bar(evil, 1, 2, evil)]),
        charts.ranked_bars(evil, evil, [charts.Bar(evil, 50.0, text=evil)]),
        charts.line_chart(evil, evil, [evil], [(evil, [3])], str, str),
    ):
        assert "<script>" not in markup and 'onload="x' not in markup
        root = _parse(markup)
        assert root.find(f"{SVG}title").text == evil  # type: ignore[union-attr]


def test_line_chart_gives_each_series_a_row_on_one_scale() -> None:
    weeks = [f"{d:02d}/03" for d in range(1, 29, 7)]
    root = _parse(
        charts.line_chart(
            "Tuần", "…", weeks, [("A", [0, 3, 8, 2]), ("B", [1, 1, 1, 1])], str, "top {}".format
        )
    )
    texts = [t.text for t in root.iter(f"{SVG}text")]
    assert texts[0] == "top 8" and texts[1:5] == ["A", "13", "B", "4"]  # names and totals
    lines = list(root.iter(f"{SVG}polyline"))
    assert len(lines) == 2
    height = float(root.get("viewBox", "").split()[3])
    tops = []
    for line in lines:
        ys = [float(pt.split(",")[1]) for pt in (line.get("points") or "").split()]
        assert len(ys) == 4 and all(0 <= y <= height for y in ys)
        tops.append(max(ys) - min(ys))
    assert tops[0] > 0 and tops[1] == 0  # a flat series draws flat on the shared scale
    assert next(t for t in texts if t and "/03" in t) == "01/03"
    empty = _parse(charts.line_chart("Tuần", "Chưa có", weeks, [], str, str))
    assert not list(empty.iter(f"{SVG}polyline"))


def test_ranked_bars_have_a_line_at_the_goal() -> None:
    root = _parse(
        charts.ranked_bars("Xếp hạng", "…", [charts.Bar("Xã A", 50.0), charts.Bar("Xã B", 200.0)])
    )
    goal = next(iter(root.iter(f"{SVG}line")))
    track = next(iter(root.iter(f"{SVG}rect")))
    start, length = float(track.get("x", "0")), float(track.get("width", "0"))
    assert float(goal.get("x1", "0")) == start + length / 2  # 100 % of a 200 % scale
    ids = re.findall(r'id="(chart-\d+)-title"', str(charts.ranked_bars("a", "b", [])))
    assert len(ids) == 1
