"""Provinces and communes come from vietnam-provinces; villages are generated and stable."""

from __future__ import annotations

import re

import pytest

from fieldkit.domain.entry import VILLAGE_CODE_PATTERN
from seed.geography import UnknownProvince, load_province, province_codes


def test_gia_lai_has_its_135_official_communes_and_about_1200_villages() -> None:
    spec = load_province("52")
    assert spec.unit.code == "52" and spec.unit.name == "Gia Lai"
    assert len(spec.communes) == 135
    assert 1080 <= len(spec.villages) <= 1350
    assert {c.unit.code for c in spec.communes} >= {"21583", "21553"}  # Quy Nhơn wards
    assert all(8 <= len(c.villages) <= 10 for c in spec.communes)


def test_village_codes_fit_the_entry_pattern_and_names_are_unique_per_commune() -> None:
    spec = load_province("52")
    for commune in spec.communes:
        names = [v.name for v in commune.villages]
        assert len(set(names)) == len(names)
        for n, village in enumerate(commune.villages, start=1):
            assert village.code == f"{commune.unit.code}-{n}"
            assert re.match(VILLAGE_CODE_PATTERN, village.code)
            assert village.parent_code == commune.unit.code == village.commune_code
            assert village.province_code == "52"


def test_village_names_follow_the_commune_type() -> None:
    spec = load_province("52")
    by_kind = {c.kind.value: c for c in spec.communes}
    assert all(v.name.startswith("Tổ dân phố ") for v in by_kind["phuong"].villages)
    highland = [v.name for c in spec.communes for v in c.villages]
    assert any(name.startswith(("Làng ", "Plei ")) for name in highland)
    south = load_province("79")
    assert any(v.name.startswith("Ấp ") for v in south.villages)


@pytest.mark.parametrize("code", province_codes())
def test_every_province_loads(code: str) -> None:
    spec = load_province(code)
    assert spec.communes
    assert len({u.code for u in spec.all_units()}) == len(spec.all_units())


def test_codes_may_be_typed_without_the_leading_zero() -> None:
    assert load_province("1").unit.code == load_province("01").unit.code == "01"


@pytest.mark.parametrize("code", ["99", "0", "", "abc", "52; drop table", "٥٢", "1" * 40])
def test_unknown_province_is_refused(code: str) -> None:
    with pytest.raises(UnknownProvince):
        load_province(code)


def test_villages_do_not_depend_on_anything_but_the_commune() -> None:
    assert load_province("52").villages == load_province("52").villages
