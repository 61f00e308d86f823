"""The errors the services raise, each a `RatmasError` whose message is meant for the
guild member or admin who caused it (domain errors live in `ratmas.domain.errors`).

The Discord port raises `DeliveryError`, `MembersIntentMissing` and `RoleMissing`;
the services turn them into answers or holds, and a cog shows any `RatmasError` as it is.
"""

from __future__ import annotations

from enum import StrEnum

from ratmas.domain.errors import RatmasError

# --- raised by the Discord port ------------------------------------------------------------


class DeliveryFailure(StrEnum):
    """Why Discord refused a message, as far as we act on it."""

    DMS_CLOSED = "dms_closed"  # 50007: the user does not accept our DMs
    SLOW_DOWN = "slow_down"  # 40003 or the anti-spam quarantine: stop the blast
    UNKNOWN_USER = "unknown_user"  # the user left or does not exist
    OTHER = "other"


class DeliveryError(RatmasError):
    """Discord refused a message or a role change; `kind` says what we do about it."""

    def __init__(self, kind: DeliveryFailure, code: int | None, text: str) -> None:
        super().__init__(f"Discord refused ({code or 'no code'}): {text}")
        self.kind = kind
        self.code = code
        self.text = text


class MembersIntentMissing(RatmasError):
    """Role member lists need the Server Members intent, which the bot does not have."""

    def __init__(self) -> None:
        super().__init__(
            "The bot cannot list the members of the participant role: enable the Server "
            "Members intent for the bot, then reschedule or advance this Ratmas."
        )


class RoleMissing(RatmasError):
    """The event's participant role was deleted: nobody can be synced from it."""

    def __init__(self, role_id: int | None) -> None:
        super().__init__(
            f"The participant role (<@&{role_id}>) no longer exists: choose one with "
            "`/ratmas-admin setup participant_role:`, then reschedule or advance this Ratmas."
        )
        self.role_id = role_id


# --- raised by the use cases ----------------------------------------------------------------


class NotAllowed(RatmasError):
    """Only managers may do this (Manage Server or the manager role)."""


class SignUpsClosed(RatmasError):
    """The event no longer takes sign-ups (names are drawn, or it is over)."""


class RoleChangeFailed(RatmasError):
    """Discord refused to give or take the participant role."""


class PhaseInProgress(RatmasError):
    """The event is being moved on right now, or its last phase is not finished yet."""


class RedrawRefused(RatmasError):
    """Santas already know who they drew; only a forced redraw may change that."""


class ConcurrentChange(RatmasError):
    """Another process made this very change first (a unique constraint refused ours):
    nothing was changed here, and nothing is wrong."""


class NothingToRetry(RatmasError):
    """Every santa has already received their DM."""
