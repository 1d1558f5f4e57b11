"""Made-up people: Vietnamese names (Faker vi_VN parts, Vietnamese order), ID numbers, phones."""

from __future__ import annotations

import random

from faker import Faker

from fieldkit.domain.identity import OLD_PROVINCE_PREFIXES, Sex

# Old (pre-2025) provinces merged into each new province: ID numbers carry the old codes.
OLD_PROVINCES_OF: dict[str, tuple[str, ...]] = {
    "01": ("001",), "04": ("004",), "08": ("008", "002"), "11": ("011",), "12": ("012",),
    "14": ("014",), "15": ("015", "010"), "19": ("019", "006"), "20": ("020",),
    "22": ("022",), "24": ("024", "027"), "25": ("025", "026", "017"), "31": ("031", "030"),
    "33": ("033", "034"), "37": ("037", "035", "036"), "38": ("038",), "40": ("040",),
    "42": ("042",), "44": ("044", "045"), "46": ("046",), "48": ("048", "049"),
    "51": ("051", "062"), "52": ("052", "064"), "56": ("056", "058"), "66": ("066", "054"),
    "68": ("068", "067", "060"), "75": ("075", "070"), "79": ("079", "074", "077"),
    "80": ("080", "072"), "82": ("087", "082"), "86": ("086", "083", "084"),
    "91": ("089", "091"), "92": ("092", "093", "094"), "96": ("096", "095"),
}  # fmt: skip

# Common Kinh family names, weighted (Faker's vi_VN list is short and unweighted).
_FAMILY = (
    ("Nguyễn", 38), ("Trần", 11), ("Lê", 9), ("Phạm", 7), ("Huỳnh", 5), ("Võ", 5),
    ("Phan", 4), ("Hoàng", 3), ("Đặng", 2), ("Bùi", 2), ("Đỗ", 2), ("Ngô", 2), ("Dương", 1),
    ("Lý", 1), ("Trương", 1), ("Đinh", 1), ("Mai", 1), ("Đoàn", 1), ("Lâm", 1), ("Hồ", 1),
)  # fmt: skip
# Jrai / Bahnar family names, for highland communes.
_HIGHLAND_FAMILY = ("Ksor", "Rơ Mah", "Siu", "Rah Lan", "Kpă", "Nay", "Puih", "Rơ Châm", "Đinh")
_HIGHLAND_GIVEN = ("Blơng", "Hyưn", "Thuyên", "Nhí", "Hiăo", "Glaih", "Dun", "Chung", "Khăm")
_MIDDLE_MALE = ("Văn", "Văn", "Văn", "Đức", "Minh", "Quang", "Hữu", "Thành", "Xuân", "Tấn")
_MIDDLE_FEMALE = ("Thị", "Thị", "Thị", "Thị", "Ngọc", "Thu", "Thanh", "Kim", "Mỹ", "Hồng")
_MOBILE_PREFIXES = (
    "032", "033", "034", "035", "036", "037", "038", "039", "056", "058", "059", "070",
    "076", "077", "078", "079", "081", "082", "083", "084", "085", "086", "088", "089",
    "090", "091", "093", "094", "096", "097", "098", "099",
)  # fmt: skip
_ALL_OLD = tuple(sorted(OLD_PROVINCE_PREFIXES))


class NameMaker:
    """Vietnamese full names in Vietnamese order (family, middle, given), seeded."""

    def __init__(self, seed: int | str) -> None:
        self._faker = Faker("vi_VN")
        self._faker.seed_instance(str(seed))
        self._rng = random.Random(f"names:{seed}")
        families, weights = zip(*_FAMILY, strict=True)
        self._families: tuple[str, ...] = families
        self._weights: tuple[int, ...] = weights

    def full_name(self, sex: Sex, highland: bool = False) -> str:
        """One plausible name; a highland commune gets some Jrai / Bahnar names."""
        rng = self._rng
        if highland and rng.random() < 0.35:
            family = rng.choice(_HIGHLAND_FAMILY)
            given = rng.choice(_HIGHLAND_GIVEN)
            return f"{family} H'{given}" if sex is Sex.FEMALE else f"{family} {given}"
        family = rng.choices(self._families, self._weights)[0]
        if sex is Sex.MALE:
            middle = rng.choice(_MIDDLE_MALE)
            given = self._faker.first_name_male()
        else:
            middle = rng.choice(_MIDDLE_FEMALE)
            given = self._faker.first_name_female()
        if given == middle:
            middle = "Văn" if sex is Sex.MALE else "Thị"
        return f"{family} {middle} {given}"


def id_prefix(rng: random.Random, province_code: str) -> str:
    """Mostly the old provinces merged into this one, some from elsewhere, rarely abroad."""
    roll = rng.random()
    local = OLD_PROVINCES_OF.get(province_code, ())
    if local and roll < 0.9:
        return local[0] if rng.random() < 0.55 else rng.choice(local)
    if roll < 0.997:
        return rng.choice(_ALL_OLD)
    return str(rng.randint(101, 295))


def id_number(rng: random.Random, prefix: str, birth_year: int, sex: Sex) -> str:
    """A 12-digit number whose 4th digit and 5th–6th digits agree with sex and birth year."""
    century = 0 if birth_year < 2000 else 2
    digit = century + (1 if sex is Sex.FEMALE else 0)
    return f"{prefix}{digit}{birth_year % 100:02d}{rng.randrange(1_000_000):06d}"


def phone_number(rng: random.Random) -> str:
    """A 10-digit mobile number with a current carrier prefix."""
    return f"{rng.choice(_MOBILE_PREFIXES)}{rng.randrange(10_000_000):07d}"
