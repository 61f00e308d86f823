"""Use cases over ports: events, lifecycle, draw, notify. Idempotent; take ids, not nextcord objects."""
