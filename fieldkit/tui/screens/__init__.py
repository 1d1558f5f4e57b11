"""The TUI's screens; each owns its widgets."""
