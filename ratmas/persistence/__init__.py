"""Tortoise ORM adapter: models, database lifecycle, migrations and the repository.

This is the only package that imports tortoise or aerich.
"""
