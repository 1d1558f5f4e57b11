"""How users see numbers and dates: 1.234 and dd/mm/yyyy in Vietnamese."""

from __future__ import annotations

from datetime import date, datetime

from fieldkit.domain.entry import VIETNAM_TZ


def format_number(value: int, lang: str = "vi") -> str:
    """1.234 in Vietnamese, 1,234 in English."""
    text = f"{value:,}"
    return text.replace(",", ".") if lang == "vi" else text


def format_percent(value: float | None, lang: str = "vi") -> str:
    """118,5 % in Vietnamese, 118.5% in English; an em dash when there is no quota."""
    if value is None:
        return "—"
    text = f"{value:.1f}"
    return f"{text.replace('.', ',')} %" if lang == "vi" else f"{text}%"


def quota_percent(achieved: int, quota: int | None) -> float | None:
    """Achieved over quota in percent (can exceed 100); None when there is no quota (or 0)."""
    return 100.0 * achieved / quota if quota else None


def format_progress(achieved: int, quota: int | None, lang: str = "vi") -> str:
    """Achieved over quota: '12/40 (30,0 %)' / '12/40 (30.0%)', or '12/—' with no quota.

    A quota of 0 is no quota either: it sets no target, so there is no share of it to show.
    Home and `fieldkit status` both say progress with this.
    """
    done = format_number(achieved, lang)
    if not quota:
        return f"{done}/—"
    percent = format_percent(quota_percent(achieved, quota), lang)
    return f"{done}/{format_number(quota, lang)} ({percent})"


def format_date(value: date | datetime) -> str:
    """dd/mm/yyyy (aware datetimes shown in Vietnam's time zone)."""
    if isinstance(value, datetime) and value.tzinfo is not None:
        value = value.astimezone(VIETNAM_TZ)
    return value.strftime("%d/%m/%Y")


def format_datetime(value: datetime) -> str:
    """dd/mm/yyyy HH:MM in Vietnam's time zone."""
    if value.tzinfo is not None:
        value = value.astimezone(VIETNAM_TZ)
    return value.strftime("%d/%m/%Y %H:%M")


DATE_FORMATS = (("%d/%m/%Y %H:%M", False), ("%d/%m/%Y", True))


def parse_date(text: str) -> datetime | None:
    """A date typed by a person: dd/mm/yyyy [HH:MM] (or ISO 8601), in Vietnam's time zone.

    A date without a time means noon, so it stays the same day in any time zone near ours.
    None for an empty or unreadable text.
    """
    value = text.strip()
    if not value:
        return None
    for fmt, noon in DATE_FORMATS:
        try:
            moment = datetime.strptime(value, fmt).replace(tzinfo=VIETNAM_TZ)
        except ValueError:
            continue
        return moment.replace(hour=12) if noon else moment
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=VIETNAM_TZ)


def format_citizens(count: int, lang: str = "vi") -> str:
    """'5 người' / '5 citizens' (one citizen)."""
    number = format_number(count, lang)
    if lang != "en":
        return f"{number} người"
    return f"{number} citizen" if count == 1 else f"{number} citizens"


def format_services(count: int, lang: str = "vi") -> str:
    """'9 dịch vụ' / '9 services' (one service)."""
    number = format_number(count, lang)
    if lang != "en":
        return f"{number} dịch vụ"
    return f"{number} service" if count == 1 else f"{number} services"


def format_helped(citizens: int, services: int, lang: str = "vi") -> str:
    """'5 người, 9 dịch vụ' / '5 citizens, 9 services' (one citizen, one service)."""
    return f"{format_citizens(citizens, lang)}, {format_services(services, lang)}"
