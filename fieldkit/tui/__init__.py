"""The volunteers' Textual app: screens, widgets and the one message catalogue."""
