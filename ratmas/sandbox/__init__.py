"""A loopback Discord (REST API v10 + JSON gateway) for the offline demo and end-to-end tests.

The real nextcord client connects to it; tests build guilds and members, play users (slash
commands, buttons, modals), inject faults (closed DMs, 429s) and read back every message and
request.
"""

from ratmas.sandbox.clock import FastForwardClock
from ratmas.sandbox.controls import InteractionHandle, SandboxError
from ratmas.sandbox.rest import Limit, RateLimits
from ratmas.sandbox.server import Sandbox
from ratmas.sandbox.state import (
    Attachment,
    Channel,
    Guild,
    Member,
    Message,
    RecordedRequest,
    Role,
    User,
)

__all__ = [
    "Attachment",
    "Channel",
    "FastForwardClock",
    "Guild",
    "InteractionHandle",
    "Limit",
    "Member",
    "Message",
    "RateLimits",
    "RecordedRequest",
    "Role",
    "Sandbox",
    "SandboxError",
    "User",
]
