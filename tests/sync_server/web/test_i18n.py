"""Every text a page shows has its Vietnamese (NFC); numbers and dates use the one formatter."""

from __future__ import annotations

import ast
import re
import unicodedata
from datetime import UTC, datetime
from pathlib import Path

import pytest

from sync_server.web import i18n
from sync_server.web.figures import Figure
from sync_server.web.templating import TEMPLATE_DIR

WEB = TEMPLATE_DIR.parent
GETTEXT = re.compile(r"""_\(\s*(["'])(.+?)\1""")
PASSWORDS = WEB.parent / "services" / "passwords.py"
"""Its PasswordError messages are shown on the password pages."""


def _template_texts() -> set[str]:
    texts = set()
    for path in TEMPLATE_DIR.glob("*.html"):
        texts |= {m.group(2) for m in GETTEXT.finditer(path.read_text())}
    return texts


def _not_shown(tree: ast.AST) -> set[int]:
    """Docstrings (of modules, functions and attributes) and the pieces of f-strings."""
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Expr):
            found.add(id(node.value))
        if isinstance(node, ast.JoinedStr):
            found |= {id(part) for part in node.values}
    return found


def _sentences(path: Path) -> set[str]:
    """Literal sentences in a module (capitalised, several words), docstrings left out."""
    tree = ast.parse(path.read_text())
    skip = _not_shown(tree)
    return {
        node.value
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant)
        and isinstance(node.value, str)
        and id(node) not in skip
        and re.fullmatch(r"[A-Z][a-z]+(?: [^\n%]+)+", node.value)
        and "'" not in node.value.split(" ")[0]
    }


def _python_texts() -> set[str]:
    texts = set()
    for path in [*WEB.rglob("*.py"), PASSWORDS]:
        if path.name == "i18n.py":
            continue
        texts |= _sentences(path)
    return texts


def test_every_text_on_the_pages_has_its_vietnamese() -> None:
    texts = _template_texts() | _python_texts()
    assert len(texts) > 40
    # Translations kept in Python modules (Vietnamese, or English for code-like keys) are not
    # keys themselves; a key ending in ':' is a prefix a template completes (`"review:" ~ x`).
    english = getattr(i18n, "EN", {})
    translations = set(i18n.VI.values()) | set(english.values())
    missing = sorted(
        t for t in texts if t not in i18n.VI and t not in translations and not t.endswith(":")
    )
    assert missing == []


def _words(text: str) -> str:
    """A text without its `{placeholders}`."""
    return re.sub(r"{\w+}", "", text)


def test_the_vietnamese_is_nfc_and_differs_from_the_english() -> None:
    for english, vietnamese in i18n.VI.items():
        assert unicodedata.normalize("NFC", vietnamese) == vietnamese, english
        assert set(re.findall(r"{\w+}", english)) == set(re.findall(r"{\w+}", vietnamese))
    untranslated = [
        e
        for e, v in i18n.VI.items()
        if e == v and e not in {"Tiếng Việt", "English"} and re.search(r"[a-z]", _words(e))
    ]
    assert untranslated == []


@pytest.mark.parametrize(
    ("lang", "number", "percent", "day"),
    [("vi", "1.234.567", "118,2 %", "31/12/2025"), ("en", "1,234,567", "118.2%", "31/12/2025")],
)
def test_numbers_percentages_and_dates(lang: str, number: str, percent: str, day: str) -> None:
    assert i18n.number(1234567, lang) == number
    assert i18n.percent(118.2, lang) == percent
    # 17:00 UTC on 31 December is already 1 January in Vietnam (UTC+7).
    assert i18n.day(datetime(2025, 12, 31, 16, 59, tzinfo=UTC)) == day
    assert i18n.day(datetime(2025, 12, 31, 17, 0, tzinfo=UTC)) == "01/01/2026"
    assert i18n.percent(None, lang) == "—" and i18n.number(None, lang) == "—"


def test_raw_figure_values_are_plain_numbers() -> None:
    assert Figure("21550", "dvc_account", "achieved", 1234567).raw == "1234567"
    assert Figure("21550", "dvc_account", "percent", 118.25).raw == "118.2"
    assert Figure("21550", "dvc_account", "percent", 100).raw == "100.0"
    assert Figure("21550", "dvc_account", "quota", None).raw == ""


def test_unknown_languages_fall_back_to_vietnamese() -> None:
    for value in (None, "", "fr", "EN", "vi; DROP"):
        assert i18n.pick_lang(value) == "vi"
