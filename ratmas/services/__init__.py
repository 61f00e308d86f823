"""Use cases over ports: events, lifecycle, draw, notify.

Idempotent; they take ids, not nextcord objects.
"""
