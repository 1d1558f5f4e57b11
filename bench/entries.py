"""Realistic entries: Vietnamese names, consistent ID numbers, visits of 1–3 services."""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from faker import Faker

from fieldkit.domain import COUNTED_SERVICE_CODES, Entry, Outcome, Reason, Sex, new_entry_id
from fieldkit.domain.people import DeviceOwner

# Old province prefixes of the people living in province 52 (Gia Lai + Bình Định), and others.
LOCAL_PREFIXES = ("052", "064")
OTHER_PREFIXES = ("001", "048", "049", "051", "054", "066", "079")
MOBILE_PREFIXES = ("032", "034", "035", "038", "070", "077", "086", "090", "091", "097", "098")
NOTES = (
    "",
    "",
    "",
    "",
    "Hẹn quay lại tuần sau",
    "Người nhà hỗ trợ",
    "Đã hướng dẫn cài VNeID",
    "Chờ công an xã duyệt",
)
NOT_SUCCESS = (Outcome.PENDING, Outcome.FAILED, Outcome.REFERRED, Outcome.DECLINED)
REASONS = tuple(r for r in Reason if r is not Reason.UNDER_14)


@dataclass(frozen=True)
class Citizen:
    """One person helped: the fields every entry of a visit shares."""

    full_name: str
    id_number: str
    birth_year: int
    sex: Sex
    phone: str | None


class EntryMaker:
    """Seeded maker of realistic entries for given villages (about 70 % successes)."""

    def __init__(self, seed: int, villages: list[str], now: datetime | None = None) -> None:
        self.rng = random.Random(seed)
        self.villages = villages
        self.now = now or datetime.now(UTC)
        faker = Faker("vi_VN")
        faker.seed_instance(seed)
        self.family = [faker.last_name() for _ in range(200)]
        self.male = [faker.first_name_male() for _ in range(300)]
        self.female = [faker.first_name_female() for _ in range(300)]
        self.used_ids: set[str] = set()

    def citizen(self) -> Citizen:
        """A new citizen with an ID number that agrees with their sex and birth year."""
        rng = self.rng
        sex = Sex.MALE if rng.random() < 0.48 else Sex.FEMALE
        birth_year = rng.randint(1945, min(2010, self.now.year - 14))
        century_digit = (0 if birth_year < 2000 else 2) + (0 if sex is Sex.MALE else 1)
        prefix = rng.choice(LOCAL_PREFIXES) if rng.random() < 0.9 else rng.choice(OTHER_PREFIXES)
        while True:
            number = f"{prefix}{century_digit}{birth_year % 100:02d}{rng.randrange(10**6):06d}"
            if number not in self.used_ids:
                self.used_ids.add(number)
                break
        middle = rng.choice(("Văn", "Đức", "Minh", "Hữu") if sex is Sex.MALE else ("Thị", "Ngọc"))
        given = rng.choice(self.male if sex is Sex.MALE else self.female)
        name = f"{rng.choice(self.family)} {middle} {given}"
        phone = None
        if rng.random() < 0.8:
            phone = f"{rng.choice(MOBILE_PREFIXES)}{rng.randrange(10**7):07d}"
        return Citizen(name, number, birth_year, sex, phone)

    def entry_data(self, village: str | None = None) -> list[dict[str, Any]]:
        """One visit: 1–3 services for one citizen, as JSON-ready dicts."""
        rng = self.rng
        person = self.citizen()
        count = rng.choices((1, 2, 3), (0.5, 0.3, 0.2))[0]
        services = rng.sample(COUNTED_SERVICE_CODES, count)
        visit_id = new_entry_id() if count > 1 else None
        moment = self.now - timedelta(seconds=rng.randrange(1, 40 * 86400))
        village = village or rng.choice(self.villages)
        owner = rng.choices(
            (DeviceOwner.CITIZEN, DeviceOwner.RELATIVE, DeviceOwner.VOLUNTEER), (0.85, 0.12, 0.03)
        )[0]
        out: list[dict[str, Any]] = []
        for service in services:
            success = rng.random() < 0.7
            outcome = Outcome.SUCCESS if success else rng.choice(NOT_SUCCESS)
            reasons = [] if success else rng.sample(REASONS, rng.choice((1, 1, 2)))
            out.append(
                {
                    "id": str(new_entry_id()),
                    "visit_id": str(visit_id) if visit_id else None,
                    "village": village,
                    "service": service,
                    "outcome": outcome.value,
                    "reasons": [r.value for r in reasons],
                    "assisted_at": moment.isoformat(),
                    "full_name": person.full_name,
                    "id_number": person.id_number,
                    "birth_year": person.birth_year,
                    "sex": person.sex.value,
                    "phone": person.phone,
                    "consent": True,
                    "consent_method": "verbal",
                    "device_owner": owner.value,
                    "note": rng.choice(NOTES),
                    "rev": 1,
                }
            )
        return out

    def data(self, count: int, village: str | None = None) -> list[dict[str, Any]]:
        """Exactly `count` entry dicts (visits cut at the end)."""
        out: list[dict[str, Any]] = []
        while len(out) < count:
            out.extend(self.entry_data(village))
        return out[:count]

    def entries(self, count: int, village: str | None = None) -> list[Entry]:
        """Exactly `count` validated domain entries."""
        return [Entry.model_validate(d) for d in self.data(count, village)]


def entry_uuid(data: dict[str, Any]) -> uuid.UUID:
    """The entry id of a dict made by EntryMaker."""
    return uuid.UUID(str(data["id"]))
