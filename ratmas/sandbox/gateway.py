"""The loopback gateway: JSON frames over a websocket, the way Discord's gateway v10 sends them.

A connection gets HELLO, then IDENTIFY starts a session (READY followed by one GUILD_CREATE per
guild of the shard) and RESUME continues a known one (missed events replayed, then RESUMED).
Heartbeats are acknowledged; REQUEST_GUILD_MEMBERS is answered with one GUILD_MEMBERS_CHUNK.
Every frame carries ``op``, ``d``, ``s`` and ``t``. Sessions outlive their socket unless the client
closed it normally (codes 1000/1001), so a reconnecting client can resume.
"""

# Waiting helpers take a `timeout` argument on purpose: tests read better with one call.
# ruff: noqa: ASYNC109

from __future__ import annotations

import asyncio
import json
import logging
import uuid
from collections import deque
from dataclasses import dataclass, field
from typing import Any

from aiohttp import WSMsgType, web

from ratmas.sandbox.state import JSON, SandboxState

_log = logging.getLogger(__name__)

DISPATCH = 0
HEARTBEAT = 1
IDENTIFY = 2
RESUME = 6
RECONNECT = 7
REQUEST_GUILD_MEMBERS = 8
INVALID_SESSION = 9
HELLO = 10
HEARTBEAT_ACK = 11

GUILD_MEMBERS_INTENT = 1 << 1
HEARTBEAT_INTERVAL_MS = 41_250
_REPLAY_LIMIT = 1000

# Events that Discord only sends to connections holding the Server Members intent.
_MEMBER_EVENTS = frozenset({"GUILD_MEMBER_ADD", "GUILD_MEMBER_REMOVE", "GUILD_MEMBER_UPDATE"})


@dataclass
class Session:
    """One identified gateway session; the socket may come and go (resume)."""

    id: str
    intents: int
    shard: tuple[int, int]
    sequence: int = 0
    socket: web.WebSocketResponse | None = None
    backlog: deque[JSON] = field(default_factory=lambda: deque(maxlen=_REPLAY_LIMIT))

    def covers(self, guild_id: int | None) -> bool:
        """Whether events of this guild belong to this session's shard."""
        if guild_id is None:
            return True
        shard_id, shard_count = self.shard
        return (guild_id >> 22) % shard_count == shard_id


class Gateway:
    """Serves websocket connections and fans dispatched events out to the sessions."""

    def __init__(self, state: SandboxState) -> None:
        self._state = state
        self._sessions: dict[str, Session] = {}
        self._sockets: set[web.WebSocketResponse] = set()
        self.url = ""
        self.identify_count = 0
        self.resume_count = 0
        self._connected = asyncio.Event()

    @property
    def sessions(self) -> list[Session]:
        """Sessions with a live socket."""
        return [s for s in self._sessions.values() if s.socket is not None]

    async def wait_connected(self, timeout: float = 5.0) -> None:
        """Wait until at least one session has a live socket."""
        async with asyncio.timeout(timeout):
            while not self.sessions:
                self._connected.clear()
                await self._connected.wait()

    async def dispatch(self, event: str, data: JSON, *, guild_id: int | None = None) -> int:
        """Send an event to every session covering the guild; returns how many got it."""
        delivered = 0
        for session in list(self._sessions.values()):
            if not session.covers(guild_id):
                continue
            if event in _MEMBER_EVENTS and not session.intents & GUILD_MEMBERS_INTENT:
                continue
            await self._send_event(session, event, data)
            if session.socket is not None:
                delivered += 1
        return delivered

    async def request_reconnect(self) -> None:
        """Ask every connected client to reconnect (op 7); they will try to resume."""
        for session in self.sessions:
            if session.socket is not None:
                await _send(session.socket, RECONNECT, None)

    async def invalidate_sessions(self) -> None:
        """Tell connected clients their session is gone (op 9, not resumable): they re-identify."""
        for session in self.sessions:
            if session.socket is not None:
                await _send(session.socket, INVALID_SESSION, False)
            self._sessions.pop(session.id, None)

    async def close(self) -> None:
        """Close every socket (as a restarting Discord would) and forget the sessions."""
        for socket in list(self._sockets):
            await socket.close(code=4000, message=b"sandbox closing")
        self._sessions.clear()

    async def handle(self, request: web.Request) -> web.WebSocketResponse:
        """The websocket endpoint."""
        socket = web.WebSocketResponse(autoping=True)
        await socket.prepare(request)
        self._sockets.add(socket)
        session: Session | None = None
        try:
            await _send(socket, HELLO, {"heartbeat_interval": HEARTBEAT_INTERVAL_MS})
            async for message in socket:
                if message.type != WSMsgType.TEXT:
                    continue
                frame: JSON = json.loads(message.data)
                session = await self._on_frame(socket, session, frame)
        finally:
            self._sockets.discard(socket)
            if session is not None and session.socket is socket:
                session.socket = None
                if socket.close_code in (1000, 1001):
                    self._sessions.pop(session.id, None)
            self._state.feed.notify()
        return socket

    async def _on_frame(
        self, socket: web.WebSocketResponse, session: Session | None, frame: JSON
    ) -> Session | None:
        op = frame.get("op")
        data: Any = frame.get("d")
        if op == HEARTBEAT:
            await _send(socket, HEARTBEAT_ACK, None)
        elif op == IDENTIFY:
            return await self._identify(socket, data)
        elif op == RESUME:
            return await self._resume(socket, data)
        elif op == REQUEST_GUILD_MEMBERS and session is not None:
            await self._chunk(session, data)
        else:
            _log.debug("sandbox gateway ignores op %s", op)
        return session

    async def _identify(self, socket: web.WebSocketResponse, data: JSON) -> Session | None:
        if data.get("token") not in (self._state.token, f"Bot {self._state.token}"):
            await socket.close(code=4004, message=b"Authentication failed.")
            return None
        shard_id, shard_count = data.get("shard") or [0, 1]
        session = Session(
            id=uuid.uuid4().hex, intents=int(data.get("intents", 0)), shard=(shard_id, shard_count)
        )
        session.socket = socket
        self._sessions[session.id] = session
        self.identify_count += 1
        guilds = [g for g in self._state.guilds.values() if session.covers(g.id)]
        ready = {
            "v": 10,
            "user": self._state.bot.payload(),
            "guilds": [{"id": str(g.id), "unavailable": True} for g in guilds],
            "session_id": session.id,
            "resume_gateway_url": self.url,
            "shard": [shard_id, shard_count],
            "application": {"id": str(self._state.application_id), "flags": 0},
            "private_channels": [],
            "relationships": [],
            "user_settings": {},
            "presences": [],
            "_trace": ["ratmas-sandbox"],
        }
        await self._send_event(session, "READY", ready)
        members = bool(session.intents & GUILD_MEMBERS_INTENT)
        for guild in guilds:
            await self._send_event(
                session, "GUILD_CREATE", guild.payload(self._state, members=members)
            )
        self._connected.set()
        self._state.feed.notify()
        return session

    async def _resume(self, socket: web.WebSocketResponse, data: JSON) -> Session | None:
        session = self._sessions.get(str(data.get("session_id")))
        if session is None or data.get("token") not in (
            self._state.token,
            f"Bot {self._state.token}",
        ):
            await _send(socket, INVALID_SESSION, False)
            return None
        session.socket = socket
        self.resume_count += 1
        seen = int(data.get("seq") or 0)
        for frame in list(session.backlog):
            if frame["s"] > seen:
                await socket.send_str(json.dumps(frame))
        await self._send_event(session, "RESUMED", {"_trace": ["ratmas-sandbox"]})
        self._connected.set()
        self._state.feed.notify()
        return session

    async def _chunk(self, session: Session, data: JSON) -> None:
        guild = self._state.guilds.get(int(data["guild_id"]))
        if guild is None:
            return
        query = str(data.get("query") or "").lower()
        wanted = {int(u) for u in data.get("user_ids") or []}
        limit = int(data.get("limit") or 0) or len(guild.members)
        members = []
        for member in guild.members.values():
            user = self._state.users[member.user_id]
            if wanted and member.user_id not in wanted:
                continue
            if query and not user.name.lower().startswith(query):
                continue
            members.append(member.payload(self._state))
        chunk: JSON = {
            "guild_id": str(guild.id),
            "members": members[:limit],
            "chunk_index": 0,
            "chunk_count": 1,
            "not_found": [str(u) for u in wanted if u not in guild.members],
        }
        if data.get("nonce") is not None:
            chunk["nonce"] = data["nonce"]
        await self._send_event(session, "GUILD_MEMBERS_CHUNK", chunk)

    async def _send_event(self, session: Session, event: str, data: JSON) -> None:
        session.sequence += 1
        frame = {"op": DISPATCH, "d": data, "s": session.sequence, "t": event}
        session.backlog.append(frame)
        if session.socket is not None and not session.socket.closed:
            try:
                await session.socket.send_str(json.dumps(frame))
            except ConnectionError:
                session.socket = None


async def _send(socket: web.WebSocketResponse, op: int, data: Any) -> None:
    await socket.send_str(json.dumps({"op": op, "d": data, "s": None, "t": None}))
