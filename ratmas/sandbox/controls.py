"""Playing a user: slash commands, autocomplete, button clicks, select menus and modals.

Each action builds the INTERACTION_CREATE payload Discord would send (command id, options with
their registered types, resolved users/members/roles/channels, the member with its computed
permissions), dispatches it on the gateway and returns an :class:`InteractionHandle` to await the
bot's answer with.
"""

# Waiting helpers take a `timeout` argument on purpose: tests read better with one call.
# ruff: noqa: ASYNC109

from __future__ import annotations

import secrets
from collections.abc import Mapping
from typing import Any

from ratmas.sandbox.gateway import Gateway
from ratmas.sandbox.state import (
    ADMINISTRATOR,
    JSON,
    InteractionRecord,
    Message,
    SandboxState,
    find_component,
    walk_components,
)

APPLICATION_COMMAND = 2
MESSAGE_COMPONENT = 3
AUTOCOMPLETE = 4
MODAL_SUBMIT = 5

ACTION_ROW, TEXT_INPUT = 1, 4

SUB_COMMAND = 1
SUB_COMMAND_GROUP = 2
USER, CHANNEL, ROLE, MENTIONABLE = 6, 7, 8, 9
INTEGER, BOOLEAN, NUMBER = 4, 5, 10

# How long a user action waits for a (re)starting bot to connect and register its commands.
REGISTRATION_WAIT = 5.0


class SandboxError(Exception):
    """A test asked the sandbox for something that cannot happen on Discord."""


class InteractionHandle:
    """What a test holds after a user action: await the bot's visible answer through it."""

    def __init__(self, state: SandboxState, record: InteractionRecord) -> None:
        self._state = state
        self.record = record

    @property
    def id(self) -> int:
        """The interaction id."""
        return self.record.id

    @property
    def callback_type(self) -> int | None:
        """The bot's callback type (4 reply, 5 deferred, 6 deferred update, 7 update, 8 choices)."""
        return self.record.callback_type

    @property
    def deferred(self) -> bool:
        """Whether the bot deferred (types 5 and 6)."""
        return self.record.callback_type in (5, 6)

    async def acknowledged(self, timeout: float = 3.0) -> int:
        """Wait for the callback (Discord's 3 s window by default); returns its type."""
        return await self._state.feed.wait_until(
            lambda: self.record.callback_type, timeout, f"interaction {self.id} to be acknowledged"
        )

    async def response(self, timeout: float = 15.0) -> Message:
        """The reply the user finally sees: immediate, deferred then edited, or an update."""

        def visible() -> Message | None:
            final = self.record.final_id
            return self._state.messages[final] if final is not None else None

        return await self._state.feed.wait_until(visible, timeout, f"a reply to {self.id}")

    async def choices(self, timeout: float = 3.0) -> list[JSON]:
        """The autocomplete choices the bot offered."""
        return await self._state.feed.wait_until(
            lambda: self.record.choices, timeout, f"autocomplete choices for {self.id}"
        )

    async def modal(self, timeout: float = 3.0) -> JSON:
        """The modal the bot opened in answer (callback type 9): title, custom id, inputs."""
        return await self._state.feed.wait_until(
            lambda: self.record.modal, timeout, f"a modal in answer to {self.id}"
        )

    async def followup(self, index: int = 0, timeout: float = 15.0) -> Message:
        """The ``index``-th followup message (not counting one that filled a deferred reply)."""

        def present() -> Message | None:
            ids = self.record.followup_ids
            return self._state.messages[ids[index]] if len(ids) > index else None

        return await self._state.feed.wait_until(present, timeout, f"followup {index} of {self.id}")

    @property
    def followups(self) -> list[Message]:
        """Followup messages so far."""
        return [self._state.messages[i] for i in self.record.followup_ids]


class UserActor:
    """Builds and dispatches the interactions a guild member (or DM user) triggers."""

    def __init__(self, state: SandboxState, gateway: Gateway) -> None:
        self._state = state
        self._gateway = gateway

    async def slash(
        self,
        guild_id: int,
        user_id: int,
        command: str,
        *path: str,
        options: Mapping[str, Any] | None = None,
        channel_id: int | None = None,
    ) -> InteractionHandle:
        """Invoke ``/command path... options`` as ``user_id`` in a guild channel."""
        definition = await self._find_command(guild_id, command)
        self._check_visible(definition, guild_id, user_id)
        leaf_options, wrap = self._walk(definition, path)
        typed = [self._option(leaf_options, name, value) for name, value in (options or {}).items()]
        data = self._command_data(definition, wrap(typed), guild_id)
        return await self._dispatch(APPLICATION_COMMAND, guild_id, user_id, channel_id, data)

    async def autocomplete(
        self,
        guild_id: int,
        user_id: int,
        command: str,
        *path: str,
        focused: str,
        value: str,
        options: Mapping[str, Any] | None = None,
        channel_id: int | None = None,
    ) -> InteractionHandle:
        """Type ``value`` into option ``focused`` of ``/command path...``; await ``choices()``."""
        definition = await self._find_command(guild_id, command)
        self._check_visible(definition, guild_id, user_id)
        leaf_options, wrap = self._walk(definition, path)
        typed = [self._option(leaf_options, name, given) for name, given in (options or {}).items()]
        kind = _schema(leaf_options, focused).get("type", 3)
        typed.append({"name": focused, "type": kind, "value": value, "focused": True})
        data = self._command_data(definition, wrap(typed), guild_id)
        data.pop("resolved", None)
        return await self._dispatch(AUTOCOMPLETE, guild_id, user_id, channel_id, data)

    async def click(
        self, guild_id: int | None, user_id: int, message_id: int, custom_id: str
    ) -> InteractionHandle:
        """Press the button ``custom_id`` on a message (``guild_id`` None for a DM)."""
        message, component = self._component(message_id, custom_id)
        if component.get("type") != 2:
            raise SandboxError(f"{custom_id!r} is not a button")
        data = {"custom_id": custom_id, "component_type": 2}
        return await self._dispatch(
            MESSAGE_COMPONENT, guild_id, user_id, message.channel_id, data, message
        )

    async def select(
        self, guild_id: int | None, user_id: int, message_id: int, custom_id: str, values: list[str]
    ) -> InteractionHandle:
        """Choose ``values`` in the select menu ``custom_id`` on a message."""
        message, component = self._component(message_id, custom_id)
        kind = int(component.get("type", 3))
        data = {"custom_id": custom_id, "component_type": kind, "values": values}
        return await self._dispatch(
            MESSAGE_COMPONENT, guild_id, user_id, message.channel_id, data, message
        )

    async def submit(
        self, user_id: int, opened: InteractionHandle, values: Mapping[str, str]
    ) -> InteractionHandle:
        """Fill in and submit the modal the bot opened in answer to ``opened``.

        ``values`` maps each text input's custom id to what the user typed; the sandbox
        refuses what Discord's client would not send (an unknown input, a required one
        left out, a value outside the input's lengths)."""
        modal = opened.record.modal
        if modal is None:
            raise SandboxError(f"interaction {opened.id} did not open a modal")
        if opened.record.user_id != user_id:
            raise SandboxError(f"the modal of interaction {opened.id} is not open for {user_id}")
        inputs = {str(c.get("custom_id")): c for _, c in walk_components(modal["components"])}
        unknown_ids = sorted(set(values) - set(inputs))
        if unknown_ids:
            raise SandboxError(f"the modal has no text input {unknown_ids[0]!r}")
        rows: list[JSON] = []
        for custom_id, schema in inputs.items():
            value = values.get(custom_id, "")
            required = schema.get("required", True)
            if required and not value:
                raise SandboxError(f"text input {custom_id!r} is required")
            low, high = int(schema.get("min_length") or 0), int(schema.get("max_length") or 4000)
            if value and not low <= len(value) <= high:
                raise SandboxError(
                    f"text input {custom_id!r} takes {low} to {high} characters, not {len(value)}"
                )
            rows.append(
                {
                    "type": ACTION_ROW,
                    "components": [{"type": TEXT_INPUT, "custom_id": custom_id, "value": value}],
                }
            )
        data = {"custom_id": modal["custom_id"], "components": rows}
        message = (
            self._state.messages.get(opened.record.message_id)
            if opened.record.message_id is not None
            else None
        )
        return await self._dispatch(
            MODAL_SUBMIT,
            opened.record.guild_id,
            user_id,
            opened.record.channel_id,
            data,
            message,
        )

    # --- payload building ---------------------------------------------------------------------

    async def _find_command(self, guild_id: int, name: str) -> JSON:
        """The registered command, waiting a moment for a (re)starting bot to register it."""

        def lookup() -> JSON | None:
            for scope in (guild_id, None):
                for command in self._state.commands.get(scope, {}).values():
                    if command["name"] == name and command.get("type", 1) == 1:
                        return command
            return None

        try:
            return await self._state.feed.wait_until(lookup, REGISTRATION_WAIT, f"/{name}")
        except TimeoutError:
            raise SandboxError(
                f"/{name} is not registered (globally or in guild {guild_id})"
            ) from None

    def _check_visible(self, definition: JSON, guild_id: int, user_id: int) -> None:
        """Discord neither shows nor delivers a command whose `default_member_permissions`
        the member lacks, unless a server admin allowed one of their roles (or them) in
        Server Settings → Integrations (`Sandbox.allow_command`)."""
        required = definition.get("default_member_permissions")
        guild = self._state.guilds.get(guild_id)
        if required is None or guild is None:
            return
        needed, granted = int(required), guild.permissions_of(user_id)
        # "0" leaves the command to administrators (who are granted every permission).
        if granted & ADMINISTRATOR or (needed and granted & needed == needed):
            return
        allowed = self._state.command_overrides.get((guild_id, definition["name"]), set())
        member = guild.members.get(user_id)
        roles = set(member.role_ids) if member is not None else set()
        if user_id in allowed or roles & allowed:
            return
        raise SandboxError(
            f"/{definition['name']} is hidden from user {user_id}: it needs permissions "
            f"{needed} (default_member_permissions) and no override allows them"
        )

    def _walk(self, definition: JSON, path: tuple[str, ...]) -> tuple[list[JSON], Any]:
        """The option schema at the end of ``path`` and a function nesting values back into it."""
        options: list[JSON] = list(definition.get("options") or [])
        chain: list[JSON] = []
        for name in path:
            found = _schema(options, name)
            if found.get("type") not in (SUB_COMMAND, SUB_COMMAND_GROUP):
                raise SandboxError(f"{name!r} is not a subcommand of /{definition['name']}")
            chain.append(found)
            options = list(found.get("options") or [])
        if any(o.get("type") in (SUB_COMMAND, SUB_COMMAND_GROUP) for o in options):
            raise SandboxError(f"/{definition['name']} {' '.join(path)} needs a subcommand")

        def wrap(leaf: list[JSON]) -> list[JSON]:
            nested = leaf
            for step in reversed(chain):
                nested = [{"name": step["name"], "type": step["type"], "options": nested}]
            return nested

        return options, wrap

    def _option(self, schema: list[JSON], name: str, value: Any) -> JSON:
        kind = int(_schema(schema, name).get("type", 3))
        if kind in (USER, CHANNEL, ROLE, MENTIONABLE):
            value = str(getattr(value, "id", value))
        elif kind == INTEGER:
            value = int(value)
        elif kind == NUMBER:
            value = float(value)
        elif kind == BOOLEAN:
            value = bool(value)
        else:
            value = str(value)
        return {"name": name, "type": kind, "value": value}

    def _command_data(self, definition: JSON, options: list[JSON], guild_id: int) -> JSON:
        data: JSON = {
            "id": definition["id"],
            "name": definition["name"],
            "type": definition.get("type", 1),
            "options": options,
            "resolved": self._resolved(options, guild_id),
        }
        if definition.get("guild_id"):
            data["guild_id"] = definition["guild_id"]
        return data

    def _resolved(self, options: list[JSON], guild_id: int) -> JSON:
        guild = self._state.guilds.get(guild_id)
        resolved: dict[str, dict[str, JSON]] = {}
        for option in _leaves(options):
            kind, raw = option["type"], option.get("value")
            if kind not in (USER, CHANNEL, ROLE, MENTIONABLE) or raw is None:
                continue
            snowflake = int(raw)
            if snowflake in self._state.users and kind in (USER, MENTIONABLE):
                resolved.setdefault("users", {})[raw] = self._state.users[snowflake].payload()
                if guild is not None and snowflake in guild.members:
                    member = guild.members[snowflake].payload(self._state, with_user=False)
                    member["permissions"] = str(guild.permissions_of(snowflake))
                    resolved.setdefault("members", {})[raw] = member
            elif guild is not None and snowflake in guild.roles and kind in (ROLE, MENTIONABLE):
                resolved.setdefault("roles", {})[raw] = guild.roles[snowflake].payload()
            elif snowflake in self._state.channels and kind == CHANNEL:
                channel = self._state.channels[snowflake]
                resolved.setdefault("channels", {})[raw] = {
                    "id": raw,
                    "name": channel.name,
                    "type": channel.type,
                    "permissions": str(guild.permissions_of(self._state.bot.id) if guild else 0),
                }
            else:
                raise SandboxError(f"option {option['name']!r}: nothing has id {raw}")
        return resolved

    def _component(self, message_id: int, custom_id: str) -> tuple[Message, JSON]:
        message = self._state.messages.get(message_id)
        if message is None or message.deleted:
            raise SandboxError(f"message {message_id} does not exist")
        component = find_component(message, custom_id)
        if component is None:
            raise SandboxError(f"message {message_id} has no component {custom_id!r}")
        if component.get("disabled"):
            raise SandboxError(f"{custom_id!r} on message {message_id} is disabled")
        return message, component

    async def _dispatch(
        self,
        kind: int,
        guild_id: int | None,
        user_id: int,
        channel_id: int | None,
        data: JSON,
        message: Message | None = None,
    ) -> InteractionHandle:
        state = self._state
        user = state.users[user_id]
        try:
            await self._gateway.wait_connected(REGISTRATION_WAIT)
        except TimeoutError:
            raise SandboxError("no bot is connected to receive the interaction") from None
        payload: JSON = {
            "id": "",
            "application_id": str(state.application_id),
            "type": kind,
            "data": data,
            "token": secrets.token_urlsafe(32),
            "version": 1,
            "locale": "en-US",
            "entitlements": [],
            "attachment_size_limit": 10 * 1024 * 1024,
        }
        if guild_id is not None:
            guild = state.guild(guild_id)
            if user_id not in guild.members:
                raise SandboxError(f"user {user_id} is not a member of guild {guild_id}")
            if channel_id is None:
                channel_id = next(c.id for c in guild.channels.values() if c.type == 0)
            member = guild.members[user_id].payload(state)
            member["permissions"] = str(guild.permissions_of(user_id))
            payload.update(
                {
                    "guild_id": str(guild_id),
                    "guild": {"id": str(guild_id), "locale": "en-US", "features": []},
                    "guild_locale": "en-US",
                    "member": member,
                    "app_permissions": str(guild.permissions_of(state.bot.id)),
                    "authorizing_integration_owners": {"0": str(guild_id)},
                    "context": 0,
                }
            )
        else:
            channel_id = channel_id or state.dm_channel(user_id).id
            payload.update(
                {
                    "user": user.payload(),
                    "app_permissions": "0",
                    "authorizing_integration_owners": {"0": "0"},
                    "context": 1,
                }
            )
        payload["channel_id"] = str(channel_id)
        payload["channel"] = state.channels[channel_id].payload(state)
        if message is not None:
            payload["message"] = message.payload(state)
        record = InteractionRecord(
            id=state.snowflake(),
            token=str(payload["token"]),
            type=kind,
            user_id=user_id,
            channel_id=channel_id,
            guild_id=guild_id,
            payload=payload,
            message_id=message.id if message else None,
        )
        payload["id"] = str(record.id)
        state.interactions[record.id] = record
        delivered = await self._gateway.dispatch("INTERACTION_CREATE", payload, guild_id=guild_id)
        if not delivered:
            raise SandboxError("no bot is connected to receive the interaction")
        return InteractionHandle(state, record)


def _schema(options: list[JSON], name: str) -> JSON:
    for option in options:
        if option.get("name") == name:
            return option
    known = ", ".join(str(o.get("name")) for o in options) or "none"
    raise SandboxError(f"no option {name!r} (known: {known})")


def _leaves(options: list[JSON]) -> list[JSON]:
    found: list[JSON] = []
    for option in options:
        if option.get("type") in (SUB_COMMAND, SUB_COMMAND_GROUP):
            found.extend(_leaves(option.get("options") or []))
        else:
            found.append(option)
    return found
