"""A real nextcord bot against the loopback Discord: login to interactions, faults and restarts."""

# nextcord's command decorators are untyped.
# mypy: disable-error-code="untyped-decorator"

from __future__ import annotations

import asyncio
import io
import json

import nextcord
import pytest
from nextcord import Interaction, SlashOption
from nextcord.ext import application_checks, commands

from ratmas.sandbox import Sandbox
from tests.sandbox.support import NEXTCORD_WARNINGS, World, intents, running

pytestmark = [pytest.mark.e2e, *NEXTCORD_WARNINGS]


# Option declarations of the toy commands (module level, so defaults are not calls).
POKE_MEMBER = SlashOption(description="Whom to poke")
GIVE_MEMBER = SlashOption(description="Who gets the role")
GIVE_ROLE = SlashOption(description="Which role")


class JoinView(nextcord.ui.View):
    """A persistent view: stable custom ids, no timeout."""

    def __init__(self) -> None:
        super().__init__(timeout=None)

    @nextcord.ui.button(label="Join", custom_id="toy:join", style=nextcord.ButtonStyle.green)
    async def join(
        self, button: nextcord.ui.Button[JoinView], interaction: Interaction[ToyBot]
    ) -> None:
        await interaction.response.send_message("You joined!", ephemeral=True)


class ToyBot(commands.Bot):
    """A minimal bot with a /toy command group, a persistent view and event recorders."""

    def __init__(self, guild_id: int) -> None:
        super().__init__(intents=intents(), guild_ready_timeout=0.05)
        self.joined: asyncio.Queue[nextcord.Member] = asyncio.Queue()
        self.removed: asyncio.Queue[nextcord.Member] = asyncio.Queue()
        self.updated: asyncio.Queue[tuple[nextcord.Member, nextcord.Member]] = asyncio.Queue()
        self.add_view(JoinView())
        self._add_commands(guild_id)

    async def before_identify_hook(self, shard_id: int | None, *, initial: bool = False) -> None:
        # nextcord waits 5 s before every re-IDENTIFY (Discord's identify limit); not needed here.
        return None

    async def on_member_join(self, member: nextcord.Member) -> None:
        await self.joined.put(member)

    async def on_member_remove(self, member: nextcord.Member) -> None:
        await self.removed.put(member)

    async def on_member_update(self, before: nextcord.Member, after: nextcord.Member) -> None:
        await self.updated.put((before, after))

    def _add_commands(self, guild_id: int) -> None:
        @self.slash_command(
            name="toy",
            description="Toy commands",
            guild_ids=[guild_id],
            contexts=[nextcord.InteractionContextType.guild],
        )
        async def toy(interaction: Interaction[ToyBot]) -> None:
            """The group root (never invoked)."""

        @toy.subcommand(name="hello", description="Say hello")
        async def hello(
            interaction: Interaction[ToyBot],
            name: str = SlashOption(description="Who", required=False, default="world"),
            times: int = SlashOption(description="How often", required=False, default=1),
        ) -> None:
            await interaction.response.send_message(f"hello {name} x{times}")

        @toy.subcommand(name="secret", description="An ephemeral, deferred answer")
        async def secret(interaction: Interaction[ToyBot]) -> None:
            await interaction.response.defer(ephemeral=True)
            await asyncio.sleep(0.05)
            await interaction.edit_original_message(content="the secret")

        @toy.subcommand(name="later", description="Deferred, answered by a followup")
        async def later(interaction: Interaction[ToyBot]) -> None:
            await interaction.response.defer()
            await interaction.followup.send("done later")

        @toy.subcommand(name="announce", description="Post the join button")
        async def announce(interaction: Interaction[ToyBot]) -> None:
            assert isinstance(interaction.channel, nextcord.TextChannel)
            await interaction.channel.send("Join Ratmas!", view=JoinView())
            await interaction.response.send_message("posted", ephemeral=True)

        @toy.subcommand(name="poke", description="DM a member")
        async def poke(
            interaction: Interaction[ToyBot],
            member: nextcord.Member = POKE_MEMBER,
        ) -> None:
            try:
                await member.send("poke!")
            except nextcord.Forbidden as error:
                await interaction.response.send_message(f"forbidden {error.code}", ephemeral=True)
            else:
                await interaction.response.send_message(f"poked {member.display_name}")

        @toy.subcommand(name="give", description="Give a member a role")
        async def give(
            interaction: Interaction[ToyBot],
            member: nextcord.Member = GIVE_MEMBER,
            role: nextcord.Role = GIVE_ROLE,
        ) -> None:
            await member.add_roles(role)
            await interaction.response.send_message(f"{member.display_name} got {role.name}")

        @toy.subcommand(name="admin", description="Managers only")
        @application_checks.has_permissions(manage_guild=True)
        async def admin(interaction: Interaction[ToyBot]) -> None:
            await interaction.response.send_message("yes, manager")

        @admin.error
        async def admin_error(interaction: Interaction[ToyBot], error: Exception) -> None:
            await interaction.response.send_message("managers only", ephemeral=True)

        @toy.subcommand(name="export", description="A file")
        async def export(interaction: Interaction[ToyBot]) -> None:
            data = io.BytesIO(json.dumps({"ok": True}).encode())
            await interaction.response.send_message(
                "export", file=nextcord.File(data, "export.json"), ephemeral=True
            )

        @toy.subcommand(name="zone", description="Pick a timezone")
        async def zone(
            interaction: Interaction[ToyBot],
            tz: str = SlashOption(description="IANA zone"),
        ) -> None:
            await interaction.response.send_message(f"zone {tz}")

        @zone.on_autocomplete("tz")
        async def zone_choices(interaction: Interaction[ToyBot], tz: str) -> None:
            zones = ["Europe/Paris", "Europe/Berlin", "America/New_York"]
            await interaction.response.send_autocomplete([z for z in zones if tz in z])


async def test_login_ready_and_guild_cache(world: World) -> None:
    bot = ToyBot(world.guild.id)
    async with running(bot, world.sb):
        assert bot.user is not None
        assert bot.user.id == world.sb.bot_user.id
        guild = bot.get_guild(world.guild.id)
        assert guild is not None
        assert guild.chunked
        assert {m.name for m in guild.members} >= {"alice", "bob", "manager", "owner"}
        assert guild.default_role.permissions.view_channel
        manager = guild.get_member(world.manager.id)
        assert manager is not None
        assert manager.guild_permissions.manage_guild
        assert "Elves" in {r.name for r in manager.roles}
        assert {c.name for c in guild.text_channels} == {"general", "santa"}
    assert world.sb.requests_to("GET", "/users/@me")


async def test_slash_command_registered_and_answered(world: World) -> None:
    sb = world.sb
    bot = ToyBot(world.guild.id)
    async with running(bot, sb):
        commands_ = await sb.wait_until(lambda: sb.commands(world.guild.id) or None)
        assert [c["name"] for c in commands_] == ["toy"]
        handle = await sb.slash(
            world.guild.id, world.alice.id, "toy", "hello", options={"name": "rat", "times": 3}
        )
        reply = await handle.response()
        assert reply.content == "hello rat x3"
        assert not reply.ephemeral
        assert handle.callback_type == 4


async def test_deferred_ephemeral_reply_and_followup(world: World) -> None:
    sb = world.sb
    bot = ToyBot(world.guild.id)
    async with running(bot, sb):
        await sb.wait_until(lambda: sb.commands(world.guild.id) or None)
        secret = await sb.slash(world.guild.id, world.bob.id, "toy", "secret")
        reply = await secret.response()
        assert (secret.callback_type, reply.content, reply.ephemeral) == (5, "the secret", True)

        later = await sb.slash(world.guild.id, world.bob.id, "toy", "later")
        reply = await later.response()
        assert (later.callback_type, reply.content, reply.ephemeral) == (5, "done later", False)


async def test_autocomplete_and_attachment(world: World) -> None:
    sb = world.sb
    bot = ToyBot(world.guild.id)
    async with running(bot, sb):
        typing = await sb.autocomplete(
            world.guild.id, world.alice.id, "toy", "zone", focused="tz", value="Europe"
        )
        choices = await typing.choices()
        assert [c["value"] for c in choices] == ["Europe/Paris", "Europe/Berlin"]

        export = await sb.slash(world.guild.id, world.manager.id, "toy", "export")
        reply = await export.response()
        assert reply.ephemeral
        assert [a.filename for a in reply.attachments] == ["export.json"]
        assert json.loads(reply.attachments[0].content) == {"ok": True}


async def test_has_permissions_uses_guild_roles(world: World) -> None:
    sb = world.sb
    bot = ToyBot(world.guild.id)
    async with running(bot, sb):
        ok = await (await sb.slash(world.guild.id, world.manager.id, "toy", "admin")).response()
        refused = await (await sb.slash(world.guild.id, world.alice.id, "toy", "admin")).response()
        assert ok.content == "yes, manager"
        assert (refused.content, refused.ephemeral) == ("managers only", True)


async def test_persistent_button_click(world: World) -> None:
    sb = world.sb
    seen: list[str] = []
    sb.on_message(lambda message, edited: seen.append(f"{sb.where(message)}: {message.text}"))
    bot = ToyBot(world.guild.id)
    async with running(bot, sb):
        await (await sb.slash(world.guild.id, world.manager.id, "toy", "announce")).response()
        post = await sb.wait_for_message(world.general, lambda m: "toy:join" in m.custom_ids)
        assert post.content == "Join Ratmas!"
        click = await sb.click(world.guild.id, world.alice.id, post.id, "toy:join")
        reply = await click.response()
        assert (reply.content, reply.ephemeral) == ("You joined!", True)
    assert seen == ["#general: Join Ratmas!", "#general: posted", "#general: You joined!"]


async def test_dm_to_closed_user_is_forbidden_50007(world: World) -> None:
    sb = world.sb
    sb.close_dms(world.bob.id)
    bot = ToyBot(world.guild.id)
    async with running(bot, sb):
        open_ = await sb.slash(
            world.guild.id, world.manager.id, "toy", "poke", options={"member": world.alice.id}
        )
        assert (await open_.response()).content == "poked alice"
        assert [m.content for m in sb.messages(world.alice.id)] == ["poke!"]

        closed = await sb.slash(
            world.guild.id, world.manager.id, "toy", "poke", options={"member": world.bob.id}
        )
        assert (await closed.response()).content == "forbidden 50007"
        assert sb.messages(world.bob.id) == []


async def test_rate_limit_burst_is_ridden_out(world: World) -> None:
    sb = world.sb
    bot = ToyBot(world.guild.id)
    async with running(bot, sb):
        channel = bot.get_channel(world.general)
        assert isinstance(channel, nextcord.TextChannel)
        sb.rate_limit_next(2, retry_after=0.05, path_contains="/messages")
        sent = await channel.send("after the storm")
        assert sent.content == "after the storm"
        statuses = [r.status for r in sb.requests_to("POST", f"/channels/{world.general}/")]
        assert statuses == [429, 429, 200]


async def test_member_events_reach_the_bot(world: World) -> None:
    sb = world.sb
    bot = ToyBot(world.guild.id)
    async with running(bot, sb):
        await sb.add_role(world.guild.id, world.alice.id, world.participant.id)
        before, after = await asyncio.wait_for(bot.updated.get(), 3)
        assert world.participant.id not in [r.id for r in before.roles]
        assert world.participant.id in [r.id for r in after.roles]

        carol = await sb.add_member(world.guild.id, "carol")
        joined = await asyncio.wait_for(bot.joined.get(), 3)
        assert (joined.id, joined.name) == (carol.id, "carol")

        await sb.remove_member(world.guild.id, world.bob.id)
        gone = await asyncio.wait_for(bot.removed.get(), 3)
        assert gone.id == world.bob.id
        guild = bot.get_guild(world.guild.id)
        assert guild is not None
        assert guild.get_member(world.bob.id) is None


async def test_bot_role_change_emits_member_update(world: World) -> None:
    sb = world.sb
    bot = ToyBot(world.guild.id)
    async with running(bot, sb):
        handle = await sb.slash(
            world.guild.id,
            world.manager.id,
            "toy",
            "give",
            options={"member": world.alice.id, "role": world.participant.id},
        )
        assert (await handle.response()).content == "alice got Ratmas participant"
        member = sb.member(world.guild.id, world.alice.id)
        assert member is not None
        assert world.participant.id in member.role_ids
        _, after = await asyncio.wait_for(bot.updated.get(), 3)
        assert world.participant.id in [r.id for r in after.roles]


async def test_restart_reconnect_and_resume(world: World) -> None:
    sb = world.sb
    first = ToyBot(world.guild.id)
    async with running(first, sb):
        await (await sb.slash(world.guild.id, world.manager.id, "toy", "announce")).response()
        post = await sb.wait_for_message(world.general, lambda m: bool(m.custom_ids))
        await sb.request_reconnect()
        await sb.wait_until(lambda: sb.gateway.resume_count or None)
        assert await (await sb.slash(world.guild.id, world.bob.id, "toy", "hello")).response()

    second = ToyBot(world.guild.id)
    async with running(second, sb):
        assert sb.gateway.identify_count == 2
        # The persistent view answers a button posted by the previous process.
        click = await sb.click(world.guild.id, world.bob.id, post.id, "toy:join")
        assert (await click.response()).content == "You joined!"
    assert len(sb.commands(world.guild.id)) == 1


async def test_invalidated_session_identifies_again(world: World) -> None:
    sb = world.sb
    bot = ToyBot(world.guild.id)
    async with running(bot, sb):
        await sb.invalidate_sessions()
        await sb.wait_until(lambda: sb.gateway.identify_count == 2 or None)
        reply = await (await sb.slash(world.guild.id, world.alice.id, "toy", "hello")).response()
        assert reply.content == "hello world x1"


async def test_wrong_token_is_refused() -> None:
    async with Sandbox():
        client = nextcord.Client(intents=intents())
        with pytest.raises(nextcord.LoginFailure):
            await client.login("not-the-token")
        await client.close()
