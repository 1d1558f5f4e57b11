"""Printing for scripts and people: JSON on stdout, validation problems in both languages."""

from __future__ import annotations

import json
from datetime import datetime
from typing import TYPE_CHECKING, Any

import typer

if TYPE_CHECKING:
    from fieldkit.domain import Problem


def problem_lines(problems: list[Problem]) -> list[str]:
    """Each problem in Vietnamese and English (what scripts and people both can read)."""
    from fieldkit.store.csv_import import describe

    return [f"- {describe(p, 'vi')} / {describe(p, 'en')}" for p in problems]


def problem_json(problems: list[Problem], lang: str) -> list[dict[str, Any]]:
    """Each problem as a JSON object, its message in the user's language and in both."""
    from fieldkit.store.csv_import import describe

    return [
        {
            "code": p.code,
            "field": p.field,
            "severity": p.severity.value,
            "message": describe(p, lang),
            "message_vi": describe(p, "vi"),
            "message_en": describe(p, "en"),
        }
        for p in problems
    ]


def _json_default(value: object) -> str:
    return value.isoformat() if isinstance(value, datetime) else str(value)


def emit_json(data: Any) -> None:
    """Print data as indented JSON, Vietnamese letters kept as they are."""
    typer.echo(json.dumps(data, ensure_ascii=False, indent=2, default=_json_default))
