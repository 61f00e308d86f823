"""Ratmas: a Discord bot that runs a guild's Secret Santa from sign-up to reveal by itself."""

__version__ = "0.1.0"
