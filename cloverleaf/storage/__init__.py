"""Persistent configuration: the only layer that speaks SQL."""
