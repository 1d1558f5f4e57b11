"""Business logic: every function takes a Session and never commits (the caller does)."""
