"""Sweeps over the `/ratmas` and `/ratmas-admin` command trees as Discord sees them (the
registered payloads): guild-only, described, `/ratmas-admin` shown only to managers and
still checked by the bot, and private wherever a secret may be."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from ratmas.sandbox import Message, SandboxError
from tests.e2e.harness import (
    E2E,
    MANAGE_GUILD,
    World,
    assignment_dm,
    dates_from_now,
    running,
    settings_for,
    snapshot,
)

pytestmark = E2E

GUILD_CONTEXT = 0
SUBCOMMAND = 1
SUBCOMMAND_GROUP = 2
REFUSAL = "Only Ratmas managers can do that"

# Valid options for every manager command, so a refusal is about who asks, not what.
type Options = Callable[[World], dict[str, Any]]
MANAGER_OPTIONS: dict[str, Options] = {
    "setup": lambda w: {
        "channel": w.sb.channel(w.guild.id, "general").id,
        "participant_role": w.manager_role.id,
        "manager_role": w.participant_role.id,
        "timezone": "Europe/Berlin",
    },
    "create": lambda w: dates_from_now(w.clock, 3600, 7200, 10800).options(),
    "budget": lambda w: {"amount": "€20–30"},
    "reschedule": lambda w: {"start": dates_from_now(w.clock, 1800, 0, 0).options()["start"]},
    "advance": lambda w: {},
    "cancel": lambda w: {"reason": "nobody asked me"},
    "redraw": lambda w: {"force": True},
    "retry-dms": lambda w: {},
    "exclude": lambda w: {"santa": w.members[0].id, "recipient": w.members[1].id},
    "unexclude": lambda w: {"santa": w.members[2].id, "recipient": w.members[3].id},
    "add": lambda w: {"member": w.outsider.id},
    "participants": lambda w: {},
    "jobs": lambda w: {},
    "export": lambda w: {},
    "household add": lambda w: {"member1": w.members[0].id, "member2": w.members[1].id},
    "household remove": lambda w: {"member": w.members[0].id},
    "household list": lambda w: {},
}
EVERYONE_OPTIONS: dict[str, Options] = {
    "join": lambda w: {},
    "wishlist": lambda w: {"url": "https://example.com/list"},
    "notes": lambda w: {"text": "size M"},
    "status": lambda w: {},
    "leave": lambda w: {},
    "history": lambda w: {},
    "gift sent": lambda w: {},
    "gift received": lambda w: {},
}


def _command(world: World, name: str) -> dict[str, Any]:
    (command,) = [c for c in world.sb.commands(None) if c["name"] == name]
    return command


def _subcommands(world: World, name: str) -> list[dict[str, Any]]:
    """Every subcommand, those of a group named "group subcommand"."""
    found = []
    for option in _command(world, name)["options"]:
        if option["type"] == SUBCOMMAND:
            found.append(option)
        elif option["type"] == SUBCOMMAND_GROUP:
            found.extend(
                {**sub, "name": f"{option['name']} {sub['name']}"} for sub in option["options"]
            )
    return found


async def _scheduled_event(world: World) -> None:
    """Settings, an event a long way off, and two members in it (one excluded pair)."""
    await world.admin(
        world.manager,
        "setup",
        options={"channel": world.channel.id, "participant_role": world.participant_role.id},
    )
    created = await world.admin(
        world.manager, "create", options=dates_from_now(world.clock, 3600, 7200, 10800).options()
    )
    assert "is scheduled" in created.content, created.content
    for member in world.members[:4]:
        assert "You're in" in (await world.run(member, "join")).content
    await world.admin(
        world.manager,
        "exclude",
        options={"santa": world.members[2].id, "recipient": world.members[3].id},
    )


async def test_every_subcommand_is_guild_only_and_described(world: World, sqlite_url: str) -> None:
    async with running(settings_for(world.sb, sqlite_url), world.sb):
        await world.admin(world.manager, "jobs")  # the commands are registered by now
        assert {c["name"] for c in world.sb.commands(None)} == {"ratmas", "ratmas-admin"}
        assert world.sb.commands(world.guild.id) == []  # one global tree, no guild copies
        members, managers = _command(world, "ratmas"), _command(world, "ratmas-admin")
        for command in (members, managers):
            assert command["contexts"] == [GUILD_CONTEXT]
            assert command["description"]
        # Members see /ratmas; Discord shows /ratmas-admin only to Manage Server.
        assert members["default_member_permissions"] is None
        assert managers["default_member_permissions"] == str(MANAGE_GUILD)
        assert {s["name"] for s in _subcommands(world, "ratmas")} == set(EVERYONE_OPTIONS)
        assert {s["name"] for s in _subcommands(world, "ratmas-admin")} == set(MANAGER_OPTIONS)
        for sub in [*_subcommands(world, "ratmas"), *_subcommands(world, "ratmas-admin")]:
            assert sub["description"].strip(), sub["name"]
            for option in sub.get("options") or []:
                assert option["description"].strip(), (sub["name"], option["name"])
                assert len(option["description"]) <= 100, (sub["name"], option["name"])


async def test_a_member_is_refused_every_manager_command(world: World, sqlite_url: str) -> None:
    sb = world.sb
    async with running(settings_for(sb, sqlite_url), sb):
        await _scheduled_event(world)
        before = await snapshot(sqlite_url)
        posts_before = len(sb.messages(world.channel.id))
        dms_before = {m.id: len(sb.messages(m.id)) for m in [*world.members, world.manager]}
        for asker in (world.outsider, world.members[0]):  # a bystander and a participant
            # Discord neither shows nor delivers /ratmas-admin to them...
            with pytest.raises(SandboxError, match="hidden"):
                await sb.slash(world.guild.id, asker.id, "ratmas-admin", "jobs")
            # ...but a server admin may have let everyone see it: the bot still refuses.
            sb.allow_command(world.guild.id, "ratmas-admin", asker.id)
            for name, options in MANAGER_OPTIONS.items():
                reply = await world.admin(asker, *name.split(), options=options(world))
                assert reply.ephemeral, name
                assert REFUSAL in reply.content, (name, reply.content)
        assert await snapshot(sqlite_url) == before
        # The refusals were the only new messages, all of them ephemeral.
        new = sb.messages(world.channel.id)[posts_before:]
        assert all(m.ephemeral for m in new)
        assert {m.id: len(sb.messages(m.id)) for m in [*world.members, world.manager]} == (
            dms_before
        )


async def test_the_manager_role_is_enough_without_manage_server(
    world: World, sqlite_url: str
) -> None:
    sb = world.sb
    helper = await sb.add_member(world.guild.id, "helper")
    async with running(settings_for(sb, sqlite_url), sb):
        await world.admin(
            world.manager, "setup", options={"manager_role": world.participant_role.id}
        )
        # The README's step: Server Settings → Integrations lets the role see the command.
        sb.allow_command(world.guild.id, "ratmas-admin", world.participant_role.id)
        sb.allow_command(world.guild.id, "ratmas-admin", helper.id)
        refused = await world.admin(helper, "participants")
        assert REFUSAL in refused.content
        await sb.add_role(world.guild.id, helper.id, world.participant_role.id)
        allowed = await world.admin(helper, "setup", options={"channel": world.channel.id})
        assert "Settings saved" in allowed.content


async def test_every_reply_is_ephemeral_and_secrets_stay_in_dms(
    world: World, sqlite_url: str
) -> None:
    sb = world.sb
    async with running(settings_for(sb, sqlite_url), sb):
        await _scheduled_event(world)
        # Draw now, so status and export carry real secrets.
        await world.admin(world.manager, "advance")
        for member in world.members[:4]:
            await sb.wait_for_message(member.id, assignment_dm)

        replies: list[tuple[str, Message]] = []
        for member in world.members[:4]:
            status = await world.run(member, "status")
            assert "You give to" in status.content
            replies.append(("status", status))
        export = await world.admin(world.manager, "export")
        assert export.attachments
        assert b'"pairings"' in export.attachments[0].content
        replies.append(("export", export))

        everyone = [(n, o) for n, o in EVERYONE_OPTIONS.items()]
        # Destructive ones last: the event must still be live for the others.
        managers = sorted(
            MANAGER_OPTIONS.items(), key=lambda item: item[0] in ("redraw", "advance", "cancel")
        )
        for name, options in [*everyone, *managers]:
            if name in EVERYONE_OPTIONS:
                reply = await world.run(world.members[0], *name.split(), options=options(world))
            else:
                reply = await world.admin(world.manager, *name.split(), options=options(world))
            replies.append((name, reply))
        public = [(name, m.content[:80]) for name, m in replies if not m.ephemeral]
        assert public == []

    # Assignments only ever travel by DM.
    for message in sb.state.messages.values():
        if assignment_dm(message) or "You give to" in message.content:
            channel = sb.state.channels.get(message.channel_id)
            assert message.ephemeral or (channel is not None and channel.type == 1), (
                sb.where(message),
                message.content[:80],
            )
