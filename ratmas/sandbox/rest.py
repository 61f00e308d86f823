"""The loopback REST API: the subset of Discord's HTTP API v10 a Ratmas bot uses.

Responses carry Content-Type exactly ``application/json`` (nextcord compares the header verbatim)
and the ``X-RateLimit-*`` headers nextcord tracks buckets with. Errors use Discord's JSON error
body (``{"message", "code"}``) and status codes, so nextcord raises the same exceptions it would
against Discord. Test-controlled faults (429 bursts, closed DMs, DM spam blocks) are injected here.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from aiohttp import BodyPartReader, web

from ratmas.sandbox.gateway import Gateway
from ratmas.sandbox.state import (
    ADMINISTRATOR,
    EPHEMERAL,
    JSON,
    LOADING,
    MANAGE_ROLES,
    SEND_MESSAGES,
    Attachment,
    InteractionRecord,
    Message,
    RecordedRequest,
    SandboxState,
)

API_PREFIX = "/api/v10"
ACK_DEADLINE_SECONDS = 3.0
MODAL_SUBMIT_TYPE = 5  # an interaction that answers a modal
# The parsed JSON body of a request, kept for the request log.
BODY_KEY = web.RequestKey("sandbox_body", object)
# The rate-limit headers of the bucket a request was counted in.
LIMIT_HEADERS_KEY = web.RequestKey("sandbox_limit_headers", dict)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@dataclass
class Faults:
    """Failures the tests ask for; each counter is consumed by the requests it hits."""

    rate_limited: int = 0
    retry_after: float = 0.1
    rate_limit_path: str | None = None
    rate_limit_global: bool = False
    dm_spam_blocks: int = 0
    # Called with every message right after it is stored and before the answer is
    # sent (e.g. to kill the bot's process there: Discord has it, the bot never knows).
    after_store: Callable[[Message], None] | None = None


@dataclass(frozen=True)
class Limit:
    """At most `count` requests per `per` seconds (a window opens at its first request)."""

    count: int
    per: float


@dataclass
class RateLimits:
    """Discord-like limits, enforced only when set: a global limit over every request
    but interactions (Discord exempts them), and per-route buckets — opening a DM
    channel, and creating messages per channel (Discord's major parameter)."""

    global_limit: Limit | None = None
    dm_create: Limit | None = None
    messages_per_channel: Limit | None = None
    served_429: int = 0
    served_429_global: int = 0
    _windows: dict[str, tuple[float, int]] = field(default_factory=dict)

    def bucket(self, method: str, path: str) -> tuple[str, Limit] | None:
        if method == "POST" and path == "/users/@me/channels" and self.dm_create:
            return "dm_create", self.dm_create
        if (
            method == "POST"
            and path.startswith("/channels/")
            and path.endswith("/messages")
            and self.messages_per_channel
        ):
            return f"messages:{path.split('/')[2]}", self.messages_per_channel
        return None

    def take(self, key: str, limit: Limit, clock: float) -> tuple[bool, int, float]:
        """Count one request; (allowed, remaining, seconds until the window resets)."""
        start, used = self._windows.get(key, (clock, 0))
        if clock - start >= limit.per:
            start, used = clock, 0
        reset_after = max(0.0, limit.per - (clock - start))
        if used >= limit.count:
            self._windows[key] = (start, used)
            return False, 0, reset_after
        self._windows[key] = (start, used + 1)
        return True, limit.count - used - 1, reset_after


class DiscordError(Exception):
    """A Discord-style error answer: HTTP status plus JSON code and message."""

    def __init__(self, status: int, code: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message


def unknown(kind: str, code: int) -> DiscordError:
    """Discord's 404 answer for a missing object (e.g. "Unknown Channel", 10003)."""
    return DiscordError(404, code, f"Unknown {kind}")


def json_response(data: Any, status: int = 200) -> web.Response:
    """A JSON answer with the exact Content-Type nextcord expects (no charset)."""
    return web.Response(
        body=json.dumps(data).encode(), status=status, headers={"Content-Type": "application/json"}
    )


def no_content() -> web.Response:
    """A 204 answer (no body, so no JSON Content-Type either)."""
    return web.Response(status=204)


def _ratelimit_headers(request: web.Request, *, remaining: int, reset_after: float) -> JSON:
    bucket = hashlib.sha1(f"{request.method} {request.path}".encode()).hexdigest()[:16]
    return {
        "X-RateLimit-Limit": "50",
        "X-RateLimit-Remaining": str(remaining),
        "X-RateLimit-Reset": f"{time.time() + reset_after:.3f}",
        "X-RateLimit-Reset-After": f"{reset_after:.3f}",
        "X-RateLimit-Bucket": bucket,
    }


class RestApi:
    """Route handlers over a :class:`SandboxState`; member changes are echoed on the gateway."""

    def __init__(
        self,
        state: SandboxState,
        gateway: Gateway,
        faults: Faults,
        limits: RateLimits | None = None,
        *,
        nonce_window: float = 300.0,
    ) -> None:
        self._state = state
        self._gateway = gateway
        self._faults = faults
        self._limits = limits or RateLimits()
        self._nonce_window = timedelta(seconds=nonce_window)
        # (author, nonce) -> (message id, when on the sandbox's clock): what
        # enforce_nonce answers with. The window follows the sandbox's clock, the one the
        # bot shares, so a test that skips the clock ahead has outlived the nonce too.
        self._nonces: dict[tuple[int, str], tuple[int, datetime]] = {}

    # --- wiring -------------------------------------------------------------------------------

    def routes(self) -> list[web.RouteDef]:
        """Every route, the literal ``@me``/``@original`` paths before their parametrised twins."""
        p = API_PREFIX
        app = "/applications/{app_id}"
        hook = "/webhooks/{app_id}/{token}"
        return [
            web.get(f"{p}/users/@me", self.get_me),
            web.post(f"{p}/users/@me/channels", self.create_dm),
            web.get(f"{p}/users/{{user_id}}", self.get_user),
            web.get(f"{p}/gateway", self.get_gateway),
            web.get(f"{p}/gateway/bot", self.get_gateway_bot),
            web.get(f"{p}/oauth2/applications/@me", self.get_application),
            web.get(f"{p}/applications/@me", self.get_application),
            web.get(f"{p}{app}/commands", self.list_commands),
            web.put(f"{p}{app}/commands", self.bulk_commands),
            web.post(f"{p}{app}/commands", self.upsert_command),
            web.get(f"{p}{app}/commands/{{command_id}}", self.get_command),
            web.patch(f"{p}{app}/commands/{{command_id}}", self.edit_command),
            web.delete(f"{p}{app}/commands/{{command_id}}", self.delete_command),
            web.get(f"{p}{app}/guilds/{{guild_id}}/commands", self.list_commands),
            web.put(f"{p}{app}/guilds/{{guild_id}}/commands", self.bulk_commands),
            web.post(f"{p}{app}/guilds/{{guild_id}}/commands", self.upsert_command),
            web.get(f"{p}{app}/guilds/{{guild_id}}/commands/{{command_id}}", self.get_command),
            web.patch(f"{p}{app}/guilds/{{guild_id}}/commands/{{command_id}}", self.edit_command),
            web.delete(
                f"{p}{app}/guilds/{{guild_id}}/commands/{{command_id}}", self.delete_command
            ),
            web.post(f"{p}/interactions/{{interaction_id}}/{{token}}/callback", self.callback),
            web.get(f"{p}{hook}/messages/@original", self.get_original),
            web.patch(f"{p}{hook}/messages/@original", self.edit_original),
            web.delete(f"{p}{hook}/messages/@original", self.delete_original),
            web.post(f"{p}{hook}", self.create_followup),
            web.get(f"{p}{hook}/messages/{{message_id}}", self.get_followup),
            web.patch(f"{p}{hook}/messages/{{message_id}}", self.edit_followup),
            web.delete(f"{p}{hook}/messages/{{message_id}}", self.delete_followup),
            web.get(f"{p}/channels/{{channel_id}}", self.get_channel),
            web.get(f"{p}/channels/{{channel_id}}/messages", self.list_messages),
            web.post(f"{p}/channels/{{channel_id}}/messages", self.send_message),
            web.get(f"{p}/channels/{{channel_id}}/messages/{{message_id}}", self.get_message),
            web.patch(f"{p}/channels/{{channel_id}}/messages/{{message_id}}", self.edit_message),
            web.delete(f"{p}/channels/{{channel_id}}/messages/{{message_id}}", self.delete_message),
            web.get(f"{p}/guilds/{{guild_id}}", self.get_guild),
            web.get(f"{p}/guilds/{{guild_id}}/roles", self.list_roles),
            web.get(f"{p}/guilds/{{guild_id}}/channels", self.list_channels),
            web.get(f"{p}/guilds/{{guild_id}}/members", self.list_members),
            web.get(f"{p}/guilds/{{guild_id}}/members/{{user_id}}", self.get_member),
            web.put(
                f"{p}/guilds/{{guild_id}}/members/{{user_id}}/roles/{{role_id}}", self.add_role
            ),
            web.delete(
                f"{p}/guilds/{{guild_id}}/members/{{user_id}}/roles/{{role_id}}", self.remove_role
            ),
            web.get("/attachments/{attachment_id}/{filename}", self.get_attachment),
        ]

    @web.middleware
    async def middleware(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        """Authorise, inject faults, translate errors and record every API request."""
        if not request.path.startswith(API_PREFIX):
            return await handler(request)
        path = request.path.removeprefix(API_PREFIX)
        response: web.StreamResponse
        limited = self._enforce_limits(request, path)
        if limited is not None:
            response = limited
        elif self._take_rate_limit(path):
            response = self._too_many_requests(request)
        else:
            try:
                self._authorise(request, path)
                response = await handler(request)
            except DiscordError as error:
                body = {"message": error.message, "code": error.code}
                response = json_response(body, error.status)
            if response.status != 429:
                headers = request.get(LIMIT_HEADERS_KEY) or _ratelimit_headers(
                    request, remaining=49, reset_after=1.0
                )
                for key, value in headers.items():
                    response.headers[key] = value
        self._state.requests.append(
            RecordedRequest(
                method=request.method,
                path=path,
                query=dict(request.query),
                json=request.get(BODY_KEY),
                status=response.status,
                at=time.monotonic(),
            )
        )
        self._state.feed.notify()
        return response

    def _authorise(self, request: web.Request, path: str) -> None:
        # Interaction callbacks and interaction webhooks authenticate by their token instead.
        if path.startswith(("/interactions/", "/webhooks/")):
            return
        if request.headers.get("Authorization") != f"Bot {self._state.token}":
            raise DiscordError(401, 0, "401: Unauthorized")

    def _enforce_limits(self, request: web.Request, path: str) -> web.Response | None:
        """The configured Discord-like limits: a 429 as Discord sends it, counted."""
        limits = self._limits
        clock = time.monotonic()
        exempt = path.startswith(("/interactions/", "/webhooks/"))
        if limits.global_limit is not None and not exempt:
            allowed, _, reset_after = limits.take("global", limits.global_limit, clock)
            if not allowed:
                limits.served_429 += 1
                limits.served_429_global += 1
                return self._limited(request, reset_after, global_=True, bucket="global")
        found = limits.bucket(request.method, path)
        if found is None:
            return None
        key, limit = found
        allowed, remaining, reset_after = limits.take(key, limit, clock)
        if not allowed:
            limits.served_429 += 1
            return self._limited(request, reset_after, global_=False, bucket=key)
        request[LIMIT_HEADERS_KEY] = {
            "X-RateLimit-Limit": str(limit.count),
            "X-RateLimit-Remaining": str(remaining),
            "X-RateLimit-Reset": f"{time.time() + reset_after:.3f}",
            "X-RateLimit-Reset-After": f"{reset_after:.3f}",
            "X-RateLimit-Bucket": hashlib.sha1(key.split(":")[0].encode()).hexdigest()[:16],
        }
        return None

    def _limited(
        self, request: web.Request, retry_after: float, *, global_: bool, bucket: str
    ) -> web.Response:
        body = {"message": "You are being rate limited.", "retry_after": retry_after}
        body["global"] = global_
        response = json_response(body, 429)
        response.headers.update(
            {
                "Retry-After": str(max(1, round(retry_after + 0.499))),
                "X-RateLimit-Limit": "0",
                "X-RateLimit-Remaining": "0",
                "X-RateLimit-Reset-After": f"{retry_after:.3f}",
                "X-RateLimit-Reset": f"{time.time() + retry_after:.3f}",
                "X-RateLimit-Bucket": hashlib.sha1(bucket.split(":")[0].encode()).hexdigest()[:16],
                "X-RateLimit-Scope": "global" if global_ else "user",
                "Via": "1.1 google",
            }
        )
        if global_:
            response.headers["X-RateLimit-Global"] = "true"
        return response

    def _take_rate_limit(self, path: str) -> bool:
        faults = self._faults
        if faults.rate_limited <= 0:
            return False
        if faults.rate_limit_path is not None and faults.rate_limit_path not in path:
            return False
        faults.rate_limited -= 1
        return True

    def _too_many_requests(self, request: web.Request) -> web.Response:
        retry_after = self._faults.retry_after
        scope = "global" if self._faults.rate_limit_global else "user"
        body = {
            "message": "You are being rate limited.",
            "retry_after": retry_after,
            "global": self._faults.rate_limit_global,
        }
        response = json_response(body, 429)
        headers = _ratelimit_headers(request, remaining=0, reset_after=retry_after)
        headers.update(
            {
                "Retry-After": str(max(1, round(retry_after))),
                "X-RateLimit-Scope": scope,
                "Via": "1.1 google",
            }
        )
        if self._faults.rate_limit_global:
            headers["X-RateLimit-Global"] = "true"
        response.headers.update(headers)
        return response

    # --- body parsing -------------------------------------------------------------------------

    async def _json(self, request: web.Request) -> Any:
        if not request.can_read_body:
            request[BODY_KEY] = None
            return None
        body = await request.json()
        request[BODY_KEY] = body
        return body

    async def _message_body(self, request: web.Request) -> tuple[JSON, list[Attachment]]:
        """A message payload from JSON or multipart (``payload_json`` + ``files[n]``)."""
        if not request.content_type.startswith("multipart/"):
            body = await self._json(request)
            return (body if isinstance(body, dict) else {}), []
        payload: JSON = {}
        uploads: list[tuple[str, str, bytes, str | None]] = []
        reader = await request.multipart()
        async for part in reader:
            if not isinstance(part, BodyPartReader):
                continue
            if part.name == "payload_json":
                payload = json.loads(await part.text())
            else:
                data = await part.read(decode=False)
                ctype = part.headers.get("Content-Type")
                uploads.append((part.name or "", part.filename or "file", bytes(data), ctype))
        request[BODY_KEY] = payload
        declared = {str(a.get("id")): a for a in payload.get("attachments", []) or []}
        files: list[Attachment] = []
        for index, (name, filename, data, ctype) in enumerate(uploads):
            key = name.removeprefix("files[").removesuffix("]") if name.startswith("files[") else ""
            meta = declared.get(key) or declared.get(str(index)) or {}
            files.append(
                Attachment(
                    id=self._state.snowflake(),
                    filename=str(meta.get("filename") or filename),
                    content=data,
                    content_type=ctype,
                    description=meta.get("description"),
                )
            )
        return payload, files

    def _new_message(
        self, channel_id: int, body: JSON, files: list[Attachment], **extra: Any
    ) -> Message:
        channel = self._state.channels[channel_id]
        embeds = list(body.get("embeds") or [])
        if body.get("embed"):
            embeds.append(body["embed"])
        message = Message(
            id=self._state.snowflake(),
            channel_id=channel_id,
            author_id=self._state.bot.id,
            content=str(body.get("content") or ""),
            embeds=embeds,
            components=list(body.get("components") or []),
            attachments=files,
            allowed_mentions=body.get("allowed_mentions"),
            flags=int(body.get("flags") or 0),
            guild_id=channel.guild_id,
            created_at=self._state.now(),
            **extra,
        )
        self._state.messages[message.id] = message
        channel.last_message_id = message.id
        self._state.posted(message, edited=False)
        return message

    def _edit(self, message: Message, body: JSON, files: list[Attachment]) -> Message:
        if "content" in body:
            message.content = str(body["content"] or "")
        if "embeds" in body:
            message.embeds = list(body["embeds"] or [])
        if body.get("embed"):
            message.embeds = [body["embed"]]
        if "components" in body:
            message.components = list(body["components"] or [])
        if "allowed_mentions" in body:
            message.allowed_mentions = body["allowed_mentions"]
        if "attachments" in body or files:
            keep = {str(a.get("id")) for a in body.get("attachments") or []}
            kept = [a for a in message.attachments if str(a.id) in keep]
            message.attachments = kept + files
        if "flags" in body and body["flags"] is not None:
            message.flags = (message.flags & EPHEMERAL) | (int(body["flags"]) & ~EPHEMERAL)
        message.flags &= ~LOADING
        message.edited_at = self._state.now()
        self._state.posted(message, edited=True)
        return message

    # --- users, gateway, application ----------------------------------------------------------

    async def get_me(self, request: web.Request) -> web.Response:
        """GET /users/@me: the bot user (nextcord's login)."""
        return json_response(self._state.bot.payload())

    async def get_user(self, request: web.Request) -> web.Response:
        """GET /users/{id}."""
        user = self._state.users.get(_int(request, "user_id"))
        if user is None:
            raise unknown("User", 10013)
        return json_response(user.payload())

    async def get_gateway(self, request: web.Request) -> web.Response:
        """GET /gateway."""
        return json_response({"url": self._gateway.url})

    async def get_gateway_bot(self, request: web.Request) -> web.Response:
        """GET /gateway/bot: one shard is recommended."""
        limit = {"total": 1000, "remaining": 1000, "reset_after": 0, "max_concurrency": 1}
        return json_response({"url": self._gateway.url, "shards": 1, "session_start_limit": limit})

    async def get_application(self, request: web.Request) -> web.Response:
        """GET /oauth2/applications/@me."""
        bot = self._state.bot
        return json_response(
            {
                "id": str(bot.id),
                "name": bot.name,
                "icon": None,
                "description": "",
                "bot_public": False,
                "bot_require_code_grant": False,
                "verify_key": "0" * 64,
                "owner": bot.payload(),
                "team": None,
                "flags": 0,
                "rpc_origins": [],
            }
        )

    # --- application commands -----------------------------------------------------------------

    def _scope(self, request: web.Request) -> dict[int, JSON]:
        if _int(request, "app_id") != self._state.application_id:
            raise unknown("Application", 10002)
        guild_id = _int(request, "guild_id") if "guild_id" in request.match_info else None
        if guild_id is not None and guild_id not in self._state.guilds:
            raise unknown("Guild", 10004)
        return self._state.commands.setdefault(guild_id, {})

    def _command(self, request: web.Request, body: JSON, command_id: int | None = None) -> JSON:
        guild_id = request.match_info.get("guild_id")
        command: JSON = {
            "type": 1,
            "description": "",
            "options": [],
            "default_member_permissions": None,
            "nsfw": False,
            **body,
        }
        command.update(
            {
                "id": str(command_id or self._state.snowflake()),
                "application_id": str(self._state.application_id),
                "version": str(self._state.snowflake()),
            }
        )
        if guild_id is not None:
            command["guild_id"] = guild_id
        return command

    async def list_commands(self, request: web.Request) -> web.Response:
        """GET global or guild commands."""
        return json_response(list(self._scope(request).values()))

    async def bulk_commands(self, request: web.Request) -> web.Response:
        """PUT: replace the whole set, keeping ids of commands whose name and type survive."""
        scope = self._scope(request)
        body = await self._json(request) or []
        old = {(c["name"], c.get("type", 1)): int(c["id"]) for c in scope.values()}
        scope.clear()
        for item in body:
            known = old.get((item["name"], item.get("type", 1)))
            command = self._command(request, item, known)
            scope[int(command["id"])] = command
        self._state.feed.notify()
        return json_response(list(scope.values()))

    async def upsert_command(self, request: web.Request) -> web.Response:
        """POST: create, or overwrite the command with the same name and type (201/200)."""
        scope = self._scope(request)
        body = await self._json(request) or {}
        for command_id, existing in scope.items():
            if existing["name"] == body["name"] and existing["type"] == body.get("type", 1):
                scope[command_id] = self._command(request, body, command_id)
                self._state.feed.notify()
                return json_response(scope[command_id])
        command = self._command(request, body)
        scope[int(command["id"])] = command
        self._state.feed.notify()
        return json_response(command, 201)

    async def get_command(self, request: web.Request) -> web.Response:
        """GET one command."""
        command = self._scope(request).get(_int(request, "command_id"))
        if command is None:
            raise unknown("application command", 10063)
        return json_response(command)

    async def edit_command(self, request: web.Request) -> web.Response:
        """PATCH one command."""
        scope = self._scope(request)
        command_id = _int(request, "command_id")
        if command_id not in scope:
            raise unknown("application command", 10063)
        body = await self._json(request) or {}
        merged = {**scope[command_id], **body}
        scope[command_id] = self._command(request, merged, command_id)
        self._state.feed.notify()
        return json_response(scope[command_id])

    async def delete_command(self, request: web.Request) -> web.Response:
        """DELETE one command."""
        if self._scope(request).pop(_int(request, "command_id"), None) is None:
            raise unknown("application command", 10063)
        self._state.feed.notify()
        return no_content()

    # --- interactions ---------------------------------------------------------------------------

    def _interaction(self, request: web.Request, id_key: str) -> InteractionRecord:
        token = request.match_info["token"]
        if id_key == "interaction_id":
            record = self._state.interactions.get(_int(request, id_key))
        else:
            if _int(request, "app_id") != self._state.application_id:
                raise unknown("Webhook", 10015)
            record = next((r for r in self._state.interactions.values() if r.token == token), None)
        if record is None or record.token != token:
            raise unknown("interaction", 10062)
        return record

    def _reply_type(self, record: InteractionRecord) -> int:
        return 20 if record.type == 2 else 0

    async def callback(self, request: web.Request) -> web.Response:
        """POST /interactions/{id}/{token}/callback: the bot's first answer."""
        record = self._interaction(request, "interaction_id")
        body, files = await self._message_body(request)
        if record.callback_type is not None:
            raise DiscordError(400, 40060, "Interaction has already been acknowledged.")
        if time.monotonic() - record.dispatched_at > ACK_DEADLINE_SECONDS:
            # Discord forgets an interaction that was not acknowledged within 3 seconds.
            raise unknown("interaction", 10062)
        record.acknowledged_at = time.monotonic()
        kind = int(body.get("type", 0))
        data: JSON = body.get("data") or {}
        record.callback_type = kind
        record.callback_data = data
        if kind == 4:
            message = self._new_message(
                record.channel_id,
                data,
                files,
                interaction_id=record.id,
                type=self._reply_type(record),
            )
            record.original_id = record.final_id = message.id
        elif kind == 5:
            flags = LOADING | (int(data.get("flags") or 0) & EPHEMERAL)
            message = self._new_message(
                record.channel_id,
                {"flags": flags},
                [],
                interaction_id=record.id,
                type=self._reply_type(record),
            )
            record.original_id = message.id
        elif kind == 6:
            record.original_id = record.message_id
        elif kind == 7:
            if record.message_id is None:
                raise DiscordError(400, 50035, "Invalid Form Body: no message to update")
            self._edit(self._state.messages[record.message_id], data, files)
            record.original_id = record.final_id = record.message_id
        elif kind == 8:
            record.choices = list(data.get("choices") or [])
        elif kind == 9:
            if record.type == MODAL_SUBMIT_TYPE:
                record.callback_type = None
                raise DiscordError(400, 50035, "Invalid Form Body: a modal cannot open a modal")
            record.modal = data
        elif kind != 1:
            record.callback_type = None
            raise DiscordError(400, 50035, f"Invalid Form Body: unknown callback type {kind}")
        self._state.feed.notify()
        return no_content()

    def _original(self, record: InteractionRecord) -> Message:
        if record.original_id is None:
            raise unknown("Message", 10008)
        message = self._state.messages[record.original_id]
        if message.deleted:
            raise unknown("Message", 10008)
        return message

    async def get_original(self, request: web.Request) -> web.Response:
        """GET the interaction's @original message."""
        return json_response(
            self._original(self._interaction(request, "app_id")).payload(self._state)
        )

    async def edit_original(self, request: web.Request) -> web.Response:
        """PATCH @original: a deferred reply becomes visible, or the clicked message changes."""
        record = self._interaction(request, "app_id")
        body, files = await self._message_body(request)
        message = self._edit(self._original(record), body, files)
        if record.final_id is None:
            record.final_id = message.id
        self._state.feed.notify()
        return json_response(message.payload(self._state))

    async def delete_original(self, request: web.Request) -> web.Response:
        """DELETE @original."""
        self._original(self._interaction(request, "app_id")).deleted = True
        self._state.feed.notify()
        return no_content()

    async def create_followup(self, request: web.Request) -> web.Response:
        """POST /webhooks/{app}/{token}: a followup; the first after a defer fills the reply."""
        record = self._interaction(request, "app_id")
        body, files = await self._message_body(request)
        if record.callback_type is None:
            raise unknown("Webhook", 10015)
        if record.callback_type == 5 and record.final_id is None:
            message = self._edit(self._original(record), body, files)
        else:
            message = self._new_message(
                record.channel_id, body, files, interaction_id=record.id, type=19
            )
            record.followup_ids.append(message.id)
        if record.final_id is None:
            record.final_id = message.id
        self._state.feed.notify()
        if request.query.get("wait", "false").lower() not in ("true", "1"):
            return no_content()
        return json_response(message.payload(self._state))

    def _followup(self, request: web.Request) -> Message:
        record = self._interaction(request, "app_id")
        message_id = _int(request, "message_id")
        message = self._state.messages.get(message_id)
        ours = message_id in record.followup_ids or message_id == record.original_id
        if message is None or message.deleted or not ours:
            raise unknown("Message", 10008)
        return message

    async def get_followup(self, request: web.Request) -> web.Response:
        """GET a followup message."""
        return json_response(self._followup(request).payload(self._state))

    async def edit_followup(self, request: web.Request) -> web.Response:
        """PATCH a followup message."""
        message = self._followup(request)
        body, files = await self._message_body(request)
        return json_response(self._edit(message, body, files).payload(self._state))

    async def delete_followup(self, request: web.Request) -> web.Response:
        """DELETE a followup message."""
        self._followup(request).deleted = True
        self._state.feed.notify()
        return no_content()

    # --- channels and messages ------------------------------------------------------------------

    async def create_dm(self, request: web.Request) -> web.Response:
        """POST /users/@me/channels: open (or return) the DM channel with a user."""
        body = await self._json(request) or {}
        user_id = int(body.get("recipient_id", 0))
        if user_id not in self._state.users or user_id == self._state.bot.id:
            raise unknown("User", 10013)
        return json_response(self._state.dm_channel(user_id).payload(self._state))

    def _channel(self, request: web.Request) -> int:
        channel_id = _int(request, "channel_id")
        if channel_id not in self._state.channels:
            raise unknown("Channel", 10003)
        return channel_id

    async def get_channel(self, request: web.Request) -> web.Response:
        """GET /channels/{id}."""
        channel = self._state.channels[self._channel(request)]
        return json_response(channel.payload(self._state))

    async def send_message(self, request: web.Request) -> web.Response:
        """POST /channels/{id}/messages, honouring closed DMs, spam blocks and permissions."""
        channel = self._state.channels[self._channel(request)]
        body, files = await self._message_body(request)
        if channel.type == 1:
            recipient = self._state.users[channel.recipient_id or 0]
            if not recipient.dms_open:
                raise DiscordError(403, 50007, "Cannot send messages to this user")
            if self._faults.dm_spam_blocks > 0:
                self._faults.dm_spam_blocks -= 1
                raise DiscordError(403, 40003, "You are opening direct messages too fast")
        elif channel.guild_id is not None:
            guild = self._state.guild(channel.guild_id)
            if not guild.permissions_of(self._state.bot.id) & (SEND_MESSAGES | ADMINISTRATOR):
                raise DiscordError(403, 50013, "Missing Permissions")
        has_body = body.get("content") or body.get("embeds") or body.get("embed")
        if not (has_body or files or body.get("components")):
            raise DiscordError(400, 50006, "Cannot send an empty message")
        nonce = body.get("nonce")
        if nonce is not None and len(str(nonce)) > 25:
            raise DiscordError(400, 50035, "Invalid Form Body (nonce: at most 25 characters)")
        key = (self._state.bot.id, str(nonce))
        if nonce is not None and body.get("enforce_nonce"):
            earlier = self._nonces.get(key)
            if earlier is not None and self._state.now() - earlier[1] < self._nonce_window:
                kept = self._state.messages.get(earlier[0])
                if kept is not None and not kept.deleted:
                    return json_response(kept.payload(self._state))
        message = self._new_message(channel.id, body, files)
        if nonce is not None:
            self._nonces[key] = (message.id, self._state.now())
        if self._faults.after_store is not None:
            self._faults.after_store(message)
        return json_response(message.payload(self._state))

    def _message(self, request: web.Request) -> Message:
        channel_id = self._channel(request)
        message = self._state.messages.get(_int(request, "message_id"))
        if message is None or message.deleted or message.channel_id != channel_id:
            raise unknown("Message", 10008)
        return message

    async def list_messages(self, request: web.Request) -> web.Response:
        """GET /channels/{id}/messages (newest first, ``limit``)."""
        channel_id = self._channel(request)
        limit = int(request.query.get("limit", "50"))
        visible = [m for m in self._state.channel_messages(channel_id) if not m.ephemeral]
        newest = list(reversed(visible))[:limit]
        return json_response([m.payload(self._state) for m in newest])

    async def get_message(self, request: web.Request) -> web.Response:
        """GET one message."""
        return json_response(self._message(request).payload(self._state))

    async def edit_message(self, request: web.Request) -> web.Response:
        """PATCH one message."""
        message = self._message(request)
        body, files = await self._message_body(request)
        return json_response(self._edit(message, body, files).payload(self._state))

    async def delete_message(self, request: web.Request) -> web.Response:
        """DELETE one message."""
        self._message(request).deleted = True
        self._state.feed.notify()
        return no_content()

    async def get_attachment(self, request: web.Request) -> web.Response:
        """The CDN: the bytes of an uploaded attachment."""
        attachment_id = _int(request, "attachment_id")
        for message in self._state.messages.values():
            for attachment in message.attachments:
                if attachment.id == attachment_id:
                    return web.Response(body=attachment.content)
        raise web.HTTPNotFound()

    # --- guilds, members, roles -----------------------------------------------------------------

    def _guild_id(self, request: web.Request) -> int:
        guild_id = _int(request, "guild_id")
        if guild_id not in self._state.guilds:
            raise unknown("Guild", 10004)
        return guild_id

    async def get_guild(self, request: web.Request) -> web.Response:
        """GET /guilds/{id} (no members or channels, as documented)."""
        data = self._state.guild(self._guild_id(request)).payload(self._state)
        for key in ("members", "channels", "threads", "presences", "voice_states"):
            data.pop(key, None)
        return json_response(data)

    async def list_roles(self, request: web.Request) -> web.Response:
        """GET /guilds/{id}/roles."""
        guild = self._state.guild(self._guild_id(request))
        return json_response([r.payload() for r in guild.roles.values()])

    async def list_channels(self, request: web.Request) -> web.Response:
        """GET /guilds/{id}/channels."""
        guild = self._state.guild(self._guild_id(request))
        return json_response([c.payload(self._state) for c in guild.channels.values()])

    async def list_members(self, request: web.Request) -> web.Response:
        """GET /guilds/{id}/members?limit&after, ordered by user id."""
        guild = self._state.guild(self._guild_id(request))
        limit = max(1, min(1000, int(request.query.get("limit", "1"))))
        after = int(request.query.get("after", "0"))
        members = sorted(
            (m for m in guild.members.values() if m.user_id > after), key=lambda m: m.user_id
        )
        return json_response([m.payload(self._state) for m in members[:limit]])

    async def get_member(self, request: web.Request) -> web.Response:
        """GET /guilds/{id}/members/{user}."""
        guild = self._state.guild(self._guild_id(request))
        member = guild.members.get(_int(request, "user_id"))
        if member is None:
            raise unknown("Member", 10007)
        return json_response(member.payload(self._state))

    def _role_change(self, request: web.Request) -> tuple[int, int, int]:
        guild = self._state.guild(self._guild_id(request))
        user_id = _int(request, "user_id")
        role_id = _int(request, "role_id")
        if user_id not in guild.members:
            raise unknown("Member", 10007)
        if role_id not in guild.roles:
            raise unknown("Role", 10011)
        bot_id = self._state.bot.id
        allowed = guild.permissions_of(bot_id) & MANAGE_ROLES
        above = guild.roles[role_id].position < guild.top_position(bot_id)
        if not allowed or not (above or bot_id == guild.owner_id):
            raise DiscordError(403, 50013, "Missing Permissions")
        return guild.id, user_id, role_id

    async def add_role(self, request: web.Request) -> web.Response:
        """PUT a role on a member; GUILD_MEMBER_UPDATE follows on the gateway."""
        guild_id, user_id, role_id = self._role_change(request)
        request[BODY_KEY] = None
        await set_member_role(self._state, self._gateway, guild_id, user_id, role_id, present=True)
        return no_content()

    async def remove_role(self, request: web.Request) -> web.Response:
        """DELETE a role from a member; GUILD_MEMBER_UPDATE follows on the gateway."""
        guild_id, user_id, role_id = self._role_change(request)
        request[BODY_KEY] = None
        await set_member_role(self._state, self._gateway, guild_id, user_id, role_id, present=False)
        return no_content()


async def set_member_role(
    state: SandboxState,
    gateway: Gateway,
    guild_id: int,
    user_id: int,
    role_id: int,
    *,
    present: bool,
) -> None:
    """Give or take a role and tell the gateway (a no-op change still emits, as Discord does)."""
    member = state.guild(guild_id).members[user_id]
    if present and role_id not in member.role_ids:
        member.role_ids.append(role_id)
    if not present and role_id in member.role_ids:
        member.role_ids.remove(role_id)
    state.feed.notify()
    await gateway.dispatch(
        "GUILD_MEMBER_UPDATE",
        {"guild_id": str(guild_id), **member.payload(state)},
        guild_id=guild_id,
    )


def _int(request: web.Request, key: str) -> int:
    try:
        return int(request.match_info[key])
    except (KeyError, ValueError):
        raise DiscordError(404, 0, "404: Not Found") from None
