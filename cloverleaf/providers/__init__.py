"""Upstream providers: where each one lives, how it authenticates, what it can do."""
