"""The staff pages, one router per area."""
