"""Plausible village names (thôn, làng, ấp, tổ dân phố): there is no official list to load."""

from __future__ import annotations

import random

# Sino-Vietnamese syllables villages in the lowlands are commonly named with.
_HAN_VIET = (
    "An", "Bình", "Hòa", "Phú", "Mỹ", "Tân", "Thạnh", "Long", "Phước", "Lộc", "Hưng", "Trung",
    "Đông", "Tây", "Nam", "Bắc", "Xuân", "Vĩnh", "Thuận", "Lợi", "Hội", "Quang", "Thắng",
    "Cát", "Khánh", "Định", "Hiệp", "Thọ", "Lương", "Nhơn", "Thái", "Hải", "Sơn", "Điền",
)  # fmt: skip

# Jrai / Bahnar place-name parts used for highland villages (làng, plei, buôn).
_HIGHLAND = (
    "Mơ Hra", "Ia Băng", "Kon Sơ Lăl", "Đê Kjiêng", "Bông Phun", "Tơ Nung", "Ia Ring",
    "Chư Á", "Ia Pếch", "Dơ Nâu", "Kép", "Ốp", "Ia Lâm", "Mơ Nú", "Ia Kha", "Ngó", "Bông Hra",
    "Kon Chrah", "Tung Ke", "Đê Tar", "Ia Rsươm", "Kơ Dơn", "Pờ Yầu", "Chư Kó", "Ia Grăng",
    "Jút", "Mrông Ngó", "Ia Bia", "Đăk Jơ Ta", "Kon Hơ Ching", "Brưng", "Ia Sol", "Tơ Pơ",
)  # fmt: skip

# Old ward codes of the Central Highlands (Kon Tum, Gia Lai, Đắk Lắk, Đắk Nông, Lâm Đồng).
_HIGHLAND_CODES = range(23200, 25300)
# Old ward codes of the South, where villages are called ấp and urban quarters khu phố.
_SOUTH_CODES = range(25300, 33000)


def is_highland(ward_code: int) -> bool:
    """Whether a commune lies in the Central Highlands (Jrai / Bahnar village names)."""
    return ward_code in _HIGHLAND_CODES


def _han_viet_names(rng: random.Random, count: int) -> list[str]:
    names: set[str] = set()
    while len(names) < count:
        names.add(f"{rng.choice(_HAN_VIET)} {rng.choice(_HAN_VIET)}")
        names = {n for n in names if len(set(n.split())) == 2}
    # Sorted before shuffling: a set's order follows each process's string hashing, and the
    # same seed must give the same names in every process.
    ordered = sorted(names)
    rng.shuffle(ordered)
    return ordered


def village_names(commune_code: str, kind: str, ward_code: int, count: int) -> list[str]:
    """`count` distinct village names for a commune, stable for its code."""
    rng = random.Random(f"village-names:{commune_code}")
    south = ward_code in _SOUTH_CODES
    highland = is_highland(ward_code)
    if kind == "phuong":
        word = "Khu phố" if south else "Tổ dân phố"
        return [f"{word} {n}" for n in range(1, count + 1)]
    if kind == "dac_khu":
        return [f"{'Khu phố' if n % 3 == 0 else 'Thôn'} {n}" for n in range(1, count + 1)]
    if highland:
        picked = rng.sample(_HIGHLAND, k=min(count, len(_HIGHLAND)))
        numbered = rng.randint(2, 4)
        names = [f"Thôn {n}" for n in range(1, numbered + 1)]
        for name in picked[: count - numbered]:
            names.append(f"{rng.choice(('Làng', 'Làng', 'Plei'))} {name}")
        return names
    word = "Ấp" if south else "Thôn"
    if rng.random() < 0.4:
        return [f"{word} {n}" for n in range(1, count + 1)]
    return [f"{word} {name}" for name in _han_viet_names(rng, count)]
