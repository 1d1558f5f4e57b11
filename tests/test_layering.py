"""The layering of docs/architecture.md, checked in fresh interpreters and by import-linter."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]


def loaded_modules(*modules: str) -> set[str]:
    """Import the modules in a fresh interpreter and return every top-level package loaded."""
    code = (
        "import importlib, json, sys\n"
        f"for m in {list(modules)!r}:\n"
        "    importlib.import_module(m)\n"
        "print(json.dumps(sorted(sys.modules)))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], check=True, capture_output=True, text=True, cwd=ROOT
    )
    return set(json.loads(out.stdout))


def _packages(root: str) -> list[str]:
    base = ROOT / root.replace(".", "/")
    if not base.exists():
        return []
    found = [root]
    for path in sorted(base.rglob("*.py")):
        rel = path.relative_to(ROOT).with_suffix("")
        parts = list(rel.parts)
        if parts[-1] == "__init__":
            parts.pop()
        name = ".".join(parts)
        if "migrations" in parts or parts[-1] == "__main__" or name == root:
            continue
        found.append(name)
    return found


def _heads(mods: set[str]) -> set[str]:
    return {m.split(".")[0] for m in mods}


def test_domain_imports_only_stdlib_and_pydantic() -> None:
    mods = loaded_modules(*_packages("fieldkit.domain"))
    assert not _heads(mods) & {"textual", "sqlalchemy", "httpx", "fastapi", "sync_server"}
    assert not {
        m for m in mods if m.startswith(("fieldkit.store", "fieldkit.sync", "fieldkit.tui"))
    }


def test_store_and_sync_never_import_textual() -> None:
    modules = _packages("fieldkit.store") + _packages("fieldkit.sync")
    if not modules:
        pytest.skip("no store or sync package yet")
    mods = loaded_modules(*modules)
    assert "textual" not in _heads(mods)
    assert not {m for m in mods if m.startswith("fieldkit.tui")}


def test_fieldkit_never_imports_sync_server() -> None:
    modules = [m for m in _packages("fieldkit") if not m.startswith("fieldkit.tui")]
    modules += _packages("fieldkit.tui")
    mods = loaded_modules(*modules)
    assert "sync_server" not in _heads(mods)


def test_sync_server_imports_only_the_domain_of_fieldkit() -> None:
    modules = _packages("sync_server") + _packages("seed")
    mods = loaded_modules(*modules)
    fieldkit_mods = {m for m in mods if m.split(".")[0] == "fieldkit"}
    assert fieldkit_mods <= {"fieldkit"} | {
        m for m in fieldkit_mods if m.startswith("fieldkit.domain")
    }
    assert "textual" not in _heads(mods)


def test_import_linter_contracts_hold() -> None:
    # import-linter is a test dependency (pyproject's test extras): missing, this fails.
    lint = shutil.which("lint-imports", path=str(Path(sys.executable).parent))
    assert lint is not None, "lint-imports not installed: pip install -e '.[test]'"
    out = subprocess.run([lint], capture_output=True, text=True, cwd=ROOT)
    assert out.returncode == 0, out.stdout + out.stderr


def test_the_server_layers_are_a_contract() -> None:
    # Commands > serving > pages > API > services > database, as docs/architecture.md says;
    # lint-imports (above) holds the code to it.
    contract = _contract("server layers")
    assert contract["type"] == "layers"
    assert contract["layers"] == [
        "sync_server.cli",
        "sync_server.server",
        "sync_server.web",
        "sync_server.api",
        "sync_server.services",
        "sync_server.db",
    ]


def test_the_database_layer_loads_and_upgrades_without_any_service(tmp_path: Path) -> None:
    # db/engine.py once seeded the catalogue through a service (an import circle).
    url = f"sqlite:///{tmp_path / 'server.sqlite3'}"
    code = (
        "import json, sys\n"
        "from sync_server.db import engine, writers, checkpoints, bulk, models\n"
        f"engine.upgrade_schema({url!r})\n"
        "print(json.dumps(sorted(sys.modules)))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], check=True, capture_output=True, text=True, cwd=ROOT
    )
    loaded = set(json.loads(out.stdout))
    assert "sync_server.db.engine" in loaded
    above = {m for m in loaded if m.startswith(("sync_server.services", "sync_server.api"))}
    # Only the pure login-name rule migration 0003 applied (pyproject's ignore_imports).
    assert above <= {"sync_server.services", "sync_server.services.logins"}


def _contract(name_start: str) -> dict[str, Any]:
    contracts = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    found = [
        c
        for c in contracts["tool"]["importlinter"]["contracts"]
        if str(c["name"]).startswith(name_start)
    ]
    assert len(found) == 1, f"no one contract named {name_start!r}…"
    return found[0]


def test_every_non_ui_module_of_fieldkit_is_kept_below_the_ui() -> None:
    # A new laptop module is below the UI unless it is the UI (tui) or the CLI that starts it:
    # the contract must name it, else it could import fieldkit.tui unnoticed.
    contract = _contract("only the UI imports the UI")
    below = set(contract["source_modules"])
    modules = {
        f"fieldkit.{p.stem if p.is_file() else p.name}"
        for p in (ROOT / "fieldkit").iterdir()
        if (p.suffix == ".py" and p.stem != "__init__") or (p / "__init__.py").is_file()
    }
    assert modules - {"fieldkit.tui", "fieldkit.cli"} <= below
    assert {"fieldkit.tui", "textual"} <= set(contract["forbidden_modules"])


def test_screens_and_widgets_are_kept_from_the_app() -> None:
    contract = _contract("screens and widgets never import the app")
    assert {"fieldkit.tui.screens", "fieldkit.tui.widgets"} <= set(contract["source_modules"])
    assert "fieldkit.tui.app" in contract["forbidden_modules"]
    assert not contract.get("allow_indirect_imports")
    mods = loaded_modules(*_packages("fieldkit.tui.screens"), *_packages("fieldkit.tui.widgets"))
    assert "fieldkit.tui.app" not in mods
    assert "fieldkit.demo" not in mods  # the welcome screen loads it only when D is pressed


def test_the_app_and_the_demo_set_up_do_not_import_each_other() -> None:
    assert "fieldkit.demo" not in loaded_modules("fieldkit.tui.app")
    assert "fieldkit.tui.app" not in loaded_modules("fieldkit.demo")


def test_the_demo_set_up_and_the_laptops_errors_load_without_the_ui() -> None:
    # The demo's set-up (server, enrollment, profile) and the errors every part raises sit
    # below the app: loading them loads no Textual and nothing of fieldkit.tui.
    mods = loaded_modules("fieldkit.demo", "fieldkit.errors", "fieldkit.pin")
    assert "textual" not in _heads(mods)
    assert not {m for m in mods if m.startswith("fieldkit.tui")}
