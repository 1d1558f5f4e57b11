"""Administrative units: upsert (one or many), list, look up and retire (2025 mergers)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from fieldkit.domain import wire
from fieldkit.domain.digits import is_ascii_digits
from sync_server.db.models import Entry, Quota, Team, Unit
from sync_server.services.changes import NewChange, record_changes

LEVELS = frozenset(level.value for level in wire.UnitLevel)


class UnitError(ValueError):
    """A unit operation was refused; `code` is stable, the message is Vietnamese / English."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True)
class UnitData:
    """The fields of a unit to create or update."""

    code: str
    name: str
    level: str
    parent_code: str | None = None
    province_code: str | None = None
    commune_code: str | None = None


def code_spellings(code: str) -> list[str]:
    """The stored codes a typed unit code may mean, most literal first.

    Official codes are zero-padded ("01" is Hà Nội, "00004" a commune, "00004-2" its village);
    people type them as numbers ("1", "4", "4-2"), so every command accepts both.
    """
    text = code.strip()
    head, dash, tail = text.partition("-")
    spellings = [text]
    if is_ascii_digits(head):
        pads = (5,) if dash else (2, 5)
        spellings += [f"{head.zfill(width)}{dash}{tail}" for width in pads if len(head) < width]
    return list(dict.fromkeys(spellings))


def get_unit(session: Session, code: str) -> Unit:
    """The unit with that code (as typed or zero-padded); UnitError `unit.unknown` otherwise."""
    unit = None
    for spelling in code_spellings(code) if code and len(code) <= 40 else []:
        unit = session.get(Unit, spelling)
        if unit is not None:
            break
    if unit is None:
        raise UnitError("unit.unknown", f"Không có đơn vị mã {code!r} / Unknown unit code {code!r}")
    return unit


def _village_change(data: UnitData) -> NewChange:
    """Devices of a commune learn about its villages through the change log."""
    payload = wire.UnitRead(
        code=data.code, name=data.name, level=wire.UnitLevel.VILLAGE, parent_code=data.parent_code
    ).model_dump(mode="json")
    return NewChange("village", data.code, data.commune_code or data.parent_code or "*", payload)


def _check(data: UnitData) -> None:
    if data.level not in LEVELS:
        raise UnitError("unit.level", f"Cấp đơn vị không hợp lệ / Invalid level {data.level!r}")
    if not data.code or len(data.code) > 20 or not data.name.strip():
        raise UnitError("unit.invalid", f"Đơn vị không hợp lệ / Invalid unit {data.code!r}")


def upsert_units(session: Session, units: Iterable[UnitData]) -> int:
    """Create or update units (parents first); returns how many rows changed."""
    items = list(units)
    for data in items:
        _check(data)
    existing: dict[str, Unit] = {}
    codes = [d.code for d in items]
    for start in range(0, len(codes), 500):
        chunk = codes[start : start + 500]
        existing.update(
            (u.code, u) for u in session.scalars(select(Unit).where(Unit.code.in_(chunk)))
        )
    changes: list[NewChange] = []
    changed = 0
    for data in items:
        row = existing.get(data.code)
        fields = {
            "name": data.name.strip(),
            "level": data.level,
            "parent_code": data.parent_code,
            "province_code": data.province_code,
            "commune_code": data.commune_code,
        }
        if row is None:
            row = Unit(code=data.code, retired=False, **fields)
            session.add(row)
            existing[data.code] = row
        elif all(getattr(row, k) == v for k, v in fields.items()):
            continue
        else:
            for key, value in fields.items():
                setattr(row, key, value)
        changed += 1
        if data.level == wire.UnitLevel.VILLAGE:
            changes.append(_village_change(data))
    session.flush()
    record_changes(session, changes)
    return changed


def upsert_unit(
    session: Session,
    code: str,
    name: str,
    level: str,
    parent_code: str | None = None,
    province_code: str | None = None,
    commune_code: str | None = None,
) -> Unit:
    """Create or update one unit; the parent must exist."""
    if parent_code is not None:
        parent = get_unit(session, parent_code)
        province_code = province_code or parent.province_code or parent.code
        if level == wire.UnitLevel.VILLAGE:
            commune_code = commune_code or parent.code
    upsert_units(session, [UnitData(code, name, level, parent_code, province_code, commune_code)])
    return get_unit(session, code)


def _read(unit: Unit) -> wire.UnitRead:
    return wire.UnitRead(
        code=unit.code,
        name=unit.name,
        level=wire.UnitLevel(unit.level),
        parent_code=unit.parent_code,
        retired=unit.retired,
    )


def list_units(session: Session, parent_code: str | None = None) -> list[wire.UnitRead]:
    """Children of a unit (provinces when no parent is given), ordered by code."""
    query = select(Unit).order_by(Unit.code)
    if parent_code is None:
        query = query.where(Unit.parent_code.is_(None))
    else:
        query = query.where(Unit.parent_code == get_unit(session, parent_code).code)
    return [_read(u) for u in session.scalars(query)]


def subtree_codes(session: Session, code: str) -> list[str]:
    """The unit and every unit below it."""
    unit = get_unit(session, code)
    if unit.level == wire.UnitLevel.PROVINCE:
        column = Unit.province_code
    elif unit.level == wire.UnitLevel.COMMUNE:
        column = Unit.commune_code
    else:
        return [unit.code]
    below = session.scalars(select(Unit.code).where(column == unit.code, Unit.code != unit.code))
    return [unit.code, *below]


def retire_unit(session: Session, code: str, replaced_by: str) -> Unit:
    """Retire a village and move its teams, entries and quotas to the one replacing it."""
    unit = get_unit(session, code)
    target = get_unit(session, replaced_by)
    if target.code == unit.code or target.level != unit.level or target.retired:
        raise UnitError(
            "unit.replacement",
            f"Đơn vị thay thế không hợp lệ / {replaced_by!r} cannot replace {code!r}",
        )
    unit.retired = True
    unit.replaced_by = target.code
    if unit.level == wire.UnitLevel.VILLAGE:
        session.execute(
            update(Team).where(Team.village_code == unit.code).values(village_code=target.code)
        )
        session.execute(
            update(Entry)
            .where(Entry.village_code == unit.code)
            .values(village_code=target.code, commune_code=target.commune_code or "")
        )
        _move_quotas(session, unit.code, target.code)
    session.flush()
    _recount_if_available(session)
    return unit


def _move_quotas(session: Session, old: str, new: str) -> None:
    """Add the retired unit's targets to its replacement's, so the parents' sums still hold."""
    for quota in session.scalars(select(Quota).where(Quota.unit_code == old)):
        key = (new, quota.service, quota.period, quota.target_group)
        kept = session.get(Quota, key)
        if kept is None:
            session.add(
                Quota(
                    unit_code=new,
                    service=quota.service,
                    period=quota.period,
                    target_group=quota.target_group,
                    target=0,
                )
            )
            session.flush()
            kept = session.get(Quota, key)
        assert kept is not None
        kept.target += quota.target
        quota.target = 0


def _recount_if_available(session: Session) -> None:
    """Re-attributed entries change village tallies: rebuild them from the entries."""
    from sync_server.services.recount import recount

    recount(session, fix=True)
