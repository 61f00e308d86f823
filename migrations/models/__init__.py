"""Migrations of the `models` app, one file per schema version (aerich's layout)."""
