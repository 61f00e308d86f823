"""Typed errors whose messages a guild admin can read as they are."""

from __future__ import annotations


class RatmasError(Exception):
    """Base of every error whose message is meant for the person who caused it."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class NotFound(RatmasError):
    """The event, participant or pairing asked for does not exist."""


class EventAlreadyLive(RatmasError):
    """A guild may run one live event at a time."""

    def __init__(self, guild_id: int, event_id: int) -> None:
        super().__init__(
            f"This server already has a Ratmas in progress (event {event_id}); "
            "cancel it or wait until it is revealed before creating another."
        )
        self.guild_id = guild_id
        self.event_id = event_id


class AlreadyJoined(RatmasError):
    """The member is already a participant of this event."""


class InvalidPairings(RatmasError):
    """A set of pairings that is not a permutation of the participants."""


class InvalidInput(RatmasError):
    """Bad input from a person: the message names the field and what is allowed."""

    def __init__(self, field: str, problem: str) -> None:
        super().__init__(f"{field}: {problem}")
        self.field = field
        self.problem = problem


class InvalidTransition(RatmasError):
    """A lifecycle move that the current status does not allow."""


class PairingImpossible(RatmasError):
    """No assignment satisfies the exclusions."""

    def __init__(self, message: str, stuck: tuple[int, ...] = ()) -> None:
        super().__init__(message)
        self.stuck = stuck


class ConfigError(RatmasError):
    """A configuration file or environment value that cannot be used."""


class DatabaseUnavailable(RatmasError):
    """The database cannot be reached; the message carries the redacted URL."""
