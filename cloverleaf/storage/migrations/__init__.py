"""Alembic migrations, shipped inside the package so a fresh clone can migrate."""
