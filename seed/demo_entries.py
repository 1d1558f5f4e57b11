"""Believable demo entries: visits of citizens with one to three services, as devices send them."""

from __future__ import annotations

import random
import uuid
from bisect import bisect
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from itertools import accumulate
from typing import Any, TypeVar

from fieldkit.domain.catalogue import Outcome, Reason
from fieldkit.domain.entry import VIETNAM_TZ
from fieldkit.domain.identity import Sex
from seed.geography import ProvinceSpec, UnitSpec
from seed.people import NameMaker, id_number, id_prefix, phone_number
from seed.villages import is_highland

# Which services a visit covers, weighted: shaped like Bình Định's 2023 campaign, where about
# a third of portal accounts went on to a real transaction and VNeID level-2 activations
# nearly equalled portal accounts (73,921 / 74,390).
_VISITS: tuple[tuple[tuple[str, ...], int], ...] = (
    (("vneid_level2",), 10),
    (("vneid_level1",), 10),
    (("vneid_level1", "vneid_level2"), 8),
    (("vneid_level2", "dvc_account"), 14),
    (("dvc_account",), 11),
    (("dvc_account", "dvc_transaction"), 10),
    (("vneid_level2", "dvc_account", "dvc_transaction"), 13),
    (("cashless_payment",), 8),
    (("vneid_level2", "cashless_payment"), 4),
    (("field_report_app",), 2),
    (("other",), 1),
)
_OUTCOMES = (
    (Outcome.SUCCESS, 70),
    (Outcome.PENDING, 10),
    (Outcome.FAILED, 11),
    (Outcome.REFERRED, 5),
    (Outcome.DECLINED, 4),
)
_OUTCOMES_OLDER = (
    (Outcome.SUCCESS, 55),
    (Outcome.PENDING, 12),
    (Outcome.FAILED, 18),
    (Outcome.REFERRED, 5),
    (Outcome.DECLINED, 10),
)
R = Reason
_REASONS: dict[Outcome, tuple[tuple[Reason, int], ...]] = {
    Outcome.PENDING: (
        (R.NOT_APPROVED_YET, 35), (R.SIM_NOT_OWN_NAME, 25), (R.LEVEL2_NOT_REGISTERED, 15),
        (R.SYSTEM_DOWN, 10), (R.OTP_NOT_RECEIVED, 10), (R.POPULATION_DB_MISMATCH, 5),
    ),
    Outcome.REFERRED: (
        (R.SIM_NOT_OWN_NAME, 45), (R.PHONE_MISMATCH, 20), (R.POPULATION_DB_MISMATCH, 20),
        (R.NO_CHIP_CARD, 10), (R.ACCOUNT_LOCKED, 5),
    ),
    Outcome.FAILED: (
        (R.SIM_NOT_OWN_NAME, 30), (R.OTP_NOT_RECEIVED, 12), (R.DEVICE_UNSUPPORTED, 10),
        (R.FACE_CAPTURE_FAILED, 10), (R.NO_SMARTPHONE, 10), (R.NO_NETWORK, 8),
        (R.BOUND_TO_OTHER_DEVICE, 5), (R.SYSTEM_DOWN, 5), (R.ACCOUNT_LOCKED, 4),
        (R.NO_CHIP_CARD, 4), (R.OTHER, 2),
    ),
    Outcome.DECLINED: ((R.LOW_DIGITAL_LITERACY, 40), (R.NO_SMARTPHONE, 30), (R.OTHER, 30)),
}  # fmt: skip
_NOTES = (
    "Hẹn lại tuần sau",
    "Con trai hỗ trợ cài đặt",
    "Đã hướng dẫn cách đăng nhập",
    "Cần mang CCCD gắn chip",
    "Nhà ở xa, hỗ trợ tại nhà văn hóa thôn",
    "Người dân rất hài lòng",
)
REVISIT_SHARE = 0.03
T = TypeVar("T")


@dataclass(frozen=True)
class DemoEntry:
    """One entry as a device would push it, and which team member recorded it."""

    village_code: str
    volunteer_slot: int
    data: dict[str, Any]


@dataclass(frozen=True)
class _Citizen:
    full_name: str
    id_number: str
    birth_year: int
    sex: Sex
    phone: str | None
    village: UnitSpec


def _uuid7_at(moment: datetime, rng: random.Random) -> uuid.UUID:
    """A UUIDv7 with the moment's milliseconds and seeded random bits (deterministic ids)."""
    ms = int(moment.timestamp() * 1000)
    rand = rng.getrandbits(74)
    value = (ms & ((1 << 48) - 1)) << 80 | 0x7 << 76 | (rand >> 62) << 64 | 0b10 << 62
    return uuid.UUID(int=value | (rand & ((1 << 62) - 1)))


_CUMULATIVE: dict[int, tuple[tuple[object, ...], list[int]]] = {}


def _weighted(rng: random.Random, table: tuple[tuple[T, int], ...]) -> T:
    """A weighted pick from a (value, weight) table."""
    cached = _CUMULATIVE.get(id(table))
    if cached is None:
        items, weights = zip(*table, strict=True)
        cached = (items, list(accumulate(weights)))
        _CUMULATIVE[id(table)] = cached
    items_, cum = cached
    return items_[bisect(cum, rng.random() * cum[-1])]  # type: ignore[return-value]


class _Generator:
    def __init__(self, province: ProvinceSpec, seed: int, now: datetime) -> None:
        self.province = province
        self.rng = random.Random(f"entries:{seed}")
        self.names = NameMaker(f"citizens:{seed}")
        self.now = now
        today = now.astimezone(VIETNAM_TZ).date()
        self.year = today.year
        self.first_day = date(today.year, 1, 1)
        self.days = (today - self.first_day).days
        self.villages = province.villages
        self.highland = {c.unit.code: is_highland(int(c.unit.code)) for c in province.communes}
        self.seen_ids: set[str] = set()
        self.citizens: list[_Citizen] = []

    def moment(self) -> tuple[datetime, datetime]:
        """When a visit happened, and the stable moment its ids are made from.

        The same number of random draws whatever today is, and ids from a position in the
        whole year: re-seeding on a later day makes the same ids, so ingest skips them.
        """
        rng = self.rng
        share = rng.random()
        clock = time(rng.randint(7, 19), rng.randint(0, 59), rng.randint(0, 59))
        back = timedelta(minutes=rng.randint(0, 300))
        # Until yesterday, so the same seed gives the same entries all day long.
        day = self.first_day + timedelta(days=int(share * max(1, self.days)))
        local = datetime.combine(day, clock, tzinfo=VIETNAM_TZ)
        latest = self.now - timedelta(minutes=30)
        if local > latest:
            local = latest - back
        stable_day = self.first_day + timedelta(days=int(share * 365))
        return local, datetime.combine(stable_day, clock, tzinfo=VIETNAM_TZ)

    def citizen(self, village: UnitSpec) -> _Citizen:
        rng = self.rng
        sex = rng.choice((Sex.MALE, Sex.FEMALE))
        band = rng.random()
        if band < 0.02:
            age = rng.randint(14, 15)
        elif band < 0.35:
            age = rng.randint(16, 30)
        elif band < 0.80:
            age = rng.randint(31, 60)
        else:
            age = rng.randint(61, 85)
        birth_year = self.year - age
        prefix = id_prefix(rng, self.province.unit.code)
        number = id_number(rng, prefix, birth_year, sex)
        while number in self.seen_ids:
            number = id_number(rng, prefix, birth_year, sex)
        self.seen_ids.add(number)
        highland = self.highland.get(village.commune_code or "", False)
        phone = phone_number(rng) if rng.random() < 0.88 else None
        return _Citizen(
            self.names.full_name(sex, highland), number, birth_year, sex, phone, village
        )

    def visit(self) -> tuple[_Citizen, UnitSpec]:
        rng = self.rng
        if self.citizens and rng.random() < REVISIT_SHARE:
            earlier = rng.choice(self.citizens)
            others = [v for v in self.villages if v.code != earlier.village.code]
            if others:
                return earlier, rng.choice(others)
        village = rng.choice(self.villages)
        person = self.citizen(village)
        self.citizens.append(person)
        return person, village

    def entries_of_visit(self) -> list[DemoEntry]:
        rng = self.rng
        person, village = self.visit()
        services = _weighted(rng, _VISITS)
        start, stable = self.moment()
        visit_id = _uuid7_at(stable, rng)
        slot = rng.randrange(5)
        older = self.year - person.birth_year > 60
        owner = _weighted(rng, (("citizen", 85), ("relative", 13), ("volunteer", 2)))
        out: list[DemoEntry] = []
        for i, service in enumerate(services):
            step = timedelta(minutes=4 * i, seconds=rng.randint(0, 59))
            at = start + step
            outcome = _weighted(rng, _OUTCOMES_OLDER if older else _OUTCOMES)
            reasons: list[str] = []
            if outcome is not Outcome.SUCCESS:
                reasons.append(_weighted(rng, _REASONS[outcome]).value)
                if older and rng.random() < 0.4:
                    reasons.append(Reason.LOW_DIGITAL_LITERACY.value)
                elif rng.random() < 0.12:
                    reasons.append(_weighted(rng, _REASONS[Outcome.FAILED]).value)
                reasons = list(dict.fromkeys(reasons))
            data: dict[str, Any] = {
                "id": str(_uuid7_at(stable + step, rng)),
                "visit_id": str(visit_id) if len(services) > 1 else None,
                "village": village.code,
                "service": service,
                "outcome": outcome.value,
                "reasons": reasons,
                "assisted_at": at.isoformat(),
                "full_name": person.full_name,
                "id_number": person.id_number,
                "birth_year": person.birth_year,
                "sex": person.sex.value,
                "phone": person.phone,
                "consent": True,
                "consent_method": "written" if rng.random() < 0.1 else "verbal",
                "device_owner": owner,
                "note": rng.choice(_NOTES) if rng.random() < 0.05 else "",
                "rev": 1,
            }
            out.append(DemoEntry(village.code, slot, data))
        return out


def generate_entries(
    province: ProvinceSpec, seed: int, count: int, now: datetime | None = None
) -> list[DemoEntry]:
    """`count` entries over the current year so far (same seed and day: same entries)."""
    moment = now or datetime.now(UTC)
    gen = _Generator(province, seed, moment)
    entries: list[DemoEntry] = []
    while len(entries) < count and gen.villages:
        entries.extend(gen.entries_of_visit())
    return entries[:count]
