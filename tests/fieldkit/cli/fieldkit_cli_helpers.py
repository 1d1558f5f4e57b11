"""Types shared by the CLI tests (kept out of conftest so mypy can follow the imports)."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


@dataclass
class Outcome:
    """What a CLI run printed and returned."""

    code: int
    stdout: str
    stderr: str

    def json(self) -> Any:
        """stdout parsed as JSON."""
        return json.loads(self.stdout)


Run = Callable[..., Outcome]
