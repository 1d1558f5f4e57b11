"""`python -m fieldkit.cli` (what tests/e2e fall back to when the console script is missing)."""

from fieldkit.cli import main

main()
