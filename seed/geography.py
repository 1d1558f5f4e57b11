"""Real provinces and communes from `vietnam-provinces`, with made-up villages for each commune."""

from __future__ import annotations

import random
from dataclasses import dataclass
from enum import StrEnum

from vietnam_provinces import Province, ProvinceCode, VietNamDivisionType, Ward

from fieldkit.domain.digits import ascii_int
from fieldkit.domain.wire import UnitLevel
from seed.villages import village_names


class CommuneKind(StrEnum):
    """The three kinds of commune-level unit since July 2025."""

    XA = "xa"
    PHUONG = "phuong"
    DAC_KHU = "dac_khu"


_KIND_OF = {
    VietNamDivisionType.XA: CommuneKind.XA,
    VietNamDivisionType.PHUONG: CommuneKind.PHUONG,
    VietNamDivisionType.DAC_KHU: CommuneKind.DAC_KHU,
}


class UnknownProvince(LookupError):
    """The code is not one of the 34 provinces of `vietnam-provinces`."""

    def __init__(self, code: str) -> None:
        self.code = code
        super().__init__(
            f"Không có tỉnh/thành phố mã {code!r} / Unknown province code {code!r} "
            f"(codes: {', '.join(province_codes())})"
        )


@dataclass(frozen=True)
class UnitSpec:
    """One administrative unit to store: province, commune or village."""

    code: str
    name: str
    level: UnitLevel
    parent_code: str | None
    province_code: str
    commune_code: str | None


@dataclass(frozen=True)
class CommuneSpec:
    """A commune with its kind and its villages."""

    unit: UnitSpec
    kind: CommuneKind
    villages: tuple[UnitSpec, ...]


@dataclass(frozen=True)
class ProvinceSpec:
    """A province and all its communes and villages."""

    unit: UnitSpec
    communes: tuple[CommuneSpec, ...]

    @property
    def villages(self) -> list[UnitSpec]:
        """Every village of the province, commune by commune."""
        return [v for c in self.communes for v in c.villages]

    def all_units(self) -> list[UnitSpec]:
        """Province, communes and villages in parent-before-child order."""
        units = [self.unit]
        units.extend(c.unit for c in self.communes)
        units.extend(self.villages)
        return units


def province_code_text(code: int) -> str:
    """The official two-digit province code, e.g. 52 -> "52", 1 -> "01"."""
    return f"{code:02d}"


def commune_code_text(code: int) -> str:
    """The official five-digit commune code, e.g. 4 -> "00004"."""
    return f"{code:05d}"


def province_codes() -> list[str]:
    """All 34 province codes, sorted."""
    return sorted(province_code_text(int(p.code)) for p in Province.iter_all())


def _lookup(code: str) -> Province:
    text = code.strip()
    number = ascii_int(text, max_digits=3)
    if number is None:
        raise UnknownProvince(code)
    try:
        return Province.from_code(ProvinceCode(number))
    except ValueError as exc:
        raise UnknownProvince(code) from exc


def villages_per_commune(commune_code: str) -> int:
    """8–10 villages, stable for a commune (there is no official list to follow)."""
    return random.Random(f"villages:{commune_code}").randint(8, 10)


def load_province(code: str) -> ProvinceSpec:
    """The province with that official code, its communes and generated villages."""
    province = _lookup(code)
    pcode = province_code_text(int(province.code))
    punit = UnitSpec(pcode, province.name, UnitLevel.PROVINCE, None, pcode, None)
    wards = sorted(Ward.iter_by_province(province.code), key=lambda w: int(w.code))
    communes: list[CommuneSpec] = []
    for ward in wards:
        ccode = commune_code_text(int(ward.code))
        kind = _KIND_OF.get(ward.division_type, CommuneKind.XA)
        cunit = UnitSpec(ccode, ward.name, UnitLevel.COMMUNE, pcode, pcode, ccode)
        names = village_names(ccode, kind.value, int(ward.code), villages_per_commune(ccode))
        villages = tuple(
            UnitSpec(f"{ccode}-{n}", name, UnitLevel.VILLAGE, ccode, pcode, ccode)
            for n, name in enumerate(names, start=1)
        )
        communes.append(CommuneSpec(cunit, kind, villages))
    return ProvinceSpec(punit, tuple(communes))
