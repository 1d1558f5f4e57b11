"""Every text the app can show exists in Vietnamese and English (no raw keys on screen)."""

from __future__ import annotations

import ast
import unicodedata
from pathlib import Path

import pytest

import fieldkit.domain
import fieldkit.tui
from fieldkit.domain import MESSAGES, DeviceOwner, Sex
from fieldkit.store import EntryStatus
from fieldkit.tui.draft import FORM_FIELDS
from fieldkit.tui.i18n import LABELS, tr
from fieldkit.tui.screens.entries import FILTERS
from fieldkit.tui.screens.entry_form import TEXT_FIELDS

TUI = Path(fieldkit.tui.__file__).parent
DOMAIN = Path(fieldkit.domain.__file__).parent
REVIEW_DECISIONS = ("approved", "rejected", "has_issues")


def calls(root: Path, names: set[str]) -> list[ast.Call]:
    """Every call of a function with one of these names in the package's source."""
    found: list[ast.Call] = []
    for path in sorted(root.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            # Plain names only: self.log.error(...) is no message of ours.
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Name)
                and node.func.id in names
                and node.args
            ):
                found.append(node)
    return found


def constant(node: ast.expr) -> str | None:
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None


def binding_ids() -> set[str]:
    """The ids given to key(keys, action, id) bindings."""
    return {
        value
        for call in calls(TUI, {"key"})
        if len(call.args) >= 3 and (value := constant(call.args[2])) is not None
    }


# What each f-string key prefix in the TUI's tr(...) calls expands to.
EXPANSIONS: dict[str, set[str]] = {
    "key.": binding_ids(),
    "list.filter.": set(FILTERS),
    "form.": {*TEXT_FIELDS, "sex", "village", "device_owner", *(s.value for s in Sex)},
    "form.owner.": {o.value for o in DeviceOwner},
    "status.": {*(s.value for s in EntryStatus), *REVIEW_DECISIONS},
    "form.invalid.": {*FORM_FIELDS, "entry"},
}


def used_keys() -> set[str]:
    """Keys passed to tr()/both() and codes passed to error()/warning()/DomainError()."""
    keys: set[str] = set()
    for call in calls(TUI, {"tr", "both", "error", "warning"}):
        first = call.args[0]
        if (value := constant(first)) is not None:
            keys.add(value)
        elif isinstance(first, ast.JoinedStr):
            prefix = constant(first.values[0]) if first.values else None
            assert prefix in EXPANSIONS, f"no expansion for tr(f'{prefix}...') in the test"
            keys |= {f"{prefix}{value}" for value in EXPANSIONS[prefix]}
    for call in calls(DOMAIN, {"error", "warning", "DomainError"}):
        if (value := constant(call.args[0])) is not None:
            keys.add(value)
    return keys


def test_the_scan_finds_the_keys_it_should() -> None:
    keys = used_keys()
    assert {"form.has_errors", "key.save", "form.invalid.sex", "birth_year.range"} <= keys
    assert len(keys) > 100


@pytest.mark.parametrize("key", sorted(used_keys()))
def test_every_key_used_has_both_languages(key: str) -> None:
    pair = LABELS.get(key) or MESSAGES.get(key)
    assert pair is not None, f"{key} has no text"
    vi, en = pair
    assert vi.strip() and en.strip(), key
    assert unicodedata.is_normalized("NFC", vi), key
    assert tr(key, "vi") == vi and tr(key, "en") == en


@pytest.mark.parametrize("key", sorted(k for k in LABELS if k.endswith(".one")))
def test_singular_forms_belong_to_a_plural_key(key: str) -> None:
    plural = key.removesuffix(".one")
    assert plural in LABELS and "{count}" in LABELS[plural][1]
    assert tr(plural, "en", count=1) == LABELS[key][1]
    assert tr(plural, "en", count=2) != LABELS[key][1]
