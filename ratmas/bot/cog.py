"""`/ratmas …`: thin adapters from interactions to one service call each.

Every command acknowledges at once (deferred, ephemeral) because sync, draws and
DMs can take longer than Discord's 3 seconds, then answers with a rendered result.
Manager commands check Manage Server or the guild's manager role first and refuse
everyone else without changing anything. Errors are answered by the client's
`on_application_command_error` (see `ratmas.bot.errors`).
"""

from __future__ import annotations

import contextlib
import functools
import io
import zoneinfo
from collections.abc import Iterator
from typing import Any

import nextcord
from nextcord import Interaction, SlashOption
from nextcord.ext import commands

from ratmas.bot import render
from ratmas.bot.errors import reply
from ratmas.bot.services import BotServices
from ratmas.domain.dates import suggest_timezones
from ratmas.domain.errors import InvalidInput
from ratmas.domain.model import Event

GUILD_ONLY = [nextcord.InteractionContextType.guild]
MAX_CHOICES = 25
DATE_HELP = "local time YYYY-MM-DD HH:MM in the event's timezone"
# The services name dates by their fields; a manager typed them into these options.
DATE_OPTIONS = {
    "starts_at": "start",
    "purchase_deadline": "purchase_deadline",
    "reveal_at": "reveal",
}


@contextlib.contextmanager
def date_options_named() -> Iterator[None]:
    """Name a bad date by the option the manager typed it into, not by our field."""
    try:
        yield
    except InvalidInput as error:
        if error.field not in DATE_OPTIONS:
            raise
        raise InvalidInput(DATE_OPTIONS[error.field], error.problem) from None


class RatmasCog(commands.Cog):
    """The Ratmas commands."""

    def __init__(self, services: BotServices) -> None:
        self.bot = services
        self.s = services.season

    # --- helpers --------------------------------------------------------------------
    @staticmethod
    def _guild(interaction: Interaction[Any]) -> int:
        if interaction.guild_id is None:
            raise InvalidInput("server", "Ratmas commands only work inside a server")
        return interaction.guild_id

    @staticmethod
    def _user(interaction: Interaction[Any]) -> nextcord.User | nextcord.Member:
        if interaction.user is None:  # pragma: no cover - Discord always sends one
            raise InvalidInput("user", "unknown user")
        return interaction.user

    @staticmethod
    def _roles(interaction: Interaction[Any]) -> tuple[list[int], bool]:
        """The member's role ids and whether they have Manage Server (none outside a guild)."""
        user = RatmasCog._user(interaction)
        if not isinstance(user, nextcord.Member):
            return [], False
        return [role.id for role in user.roles], user.guild_permissions.manage_guild

    async def _is_manager(self, interaction: Interaction[Any]) -> bool:
        """Manage Server, or the guild's (or live event's) manager role."""
        role_ids, manage_guild = self._roles(interaction)
        return await self.s.guild_settings.is_manager(
            self._guild(interaction), role_ids=role_ids, manage_guild=manage_guild
        )

    async def _require_manager(self, interaction: Interaction[Any]) -> None:
        role_ids, manage_guild = self._roles(interaction)
        await self.s.guild_settings.require_manager(
            self._guild(interaction), role_ids=role_ids, manage_guild=manage_guild
        )

    async def _event(self, interaction: Interaction[Any], event_id: int | None = None) -> Event:
        return await self.s.status.find_event(self._guild(interaction), event_id)

    @staticmethod
    async def _defer(interaction: Interaction[Any]) -> None:
        await interaction.response.defer(ephemeral=True)

    # --- the group ------------------------------------------------------------------
    @nextcord.slash_command(
        name="ratmas", description="Secret Santa for this server", contexts=GUILD_ONLY
    )
    async def ratmas(self, interaction: Interaction[Any]) -> None:
        """The command group; Discord never invokes it directly."""

    # --- everyone -------------------------------------------------------------------
    @ratmas.subcommand(name="join", description="Sign up for this server's Ratmas")
    async def join(self, interaction: Interaction[Any]) -> None:
        await self._defer(interaction)
        user = self._user(interaction)
        result = await self.s.participants.join(
            self._guild(interaction), user.id, user.display_name
        )
        await reply(interaction, render.joined(result))

    @ratmas.subcommand(name="leave", description="Leave this server's Ratmas")
    async def leave(self, interaction: Interaction[Any]) -> None:
        await self._defer(interaction)
        user = self._user(interaction)
        result = await self.s.participants.leave(self._guild(interaction), user.id)
        await reply(interaction, render.left(result))

    @ratmas.subcommand(name="wishlist", description="Set or clear the link to your wishlist")
    async def wishlist(
        self,
        interaction: Interaction[Any],
        url: str | None = SlashOption(
            description="an http(s) link to your wishlist; leave it out to clear it",
            required=False,
            default=None,
        ),
    ) -> None:
        await self._defer(interaction)
        user = self._user(interaction)
        result = await self.s.participants.set_wishlist(self._guild(interaction), user.id, url)
        await reply(interaction, render.wishlist(result))

    @ratmas.subcommand(name="status", description="Where the Ratmas is, and whom you give to")
    async def status(
        self,
        interaction: Interaction[Any],
        event: int | None = SlashOption(
            description="an earlier event of this server (default: the current one)",
            required=False,
            default=None,
        ),
    ) -> None:
        await self._defer(interaction)
        guild_id = self._guild(interaction)
        report = await self.s.status.status(event, guild_id=guild_id)
        mine = await self.s.participants.member_view(report.event.id, self._user(interaction).id)
        await reply(
            interaction,
            render.status(
                report,
                me_in=mine.participant is not None,
                my_recipient=mine.recipient,
                settings=await self.s.guild_settings.effective(guild_id),
                now=self.s.clock.now(),
                manager=await self._is_manager(interaction),
            ),
        )

    @status.on_autocomplete("event")
    async def _status_events(self, interaction: Interaction[Any], event: str) -> None:
        await self._complete_events(interaction, event)

    # --- managers -------------------------------------------------------------------
    @ratmas.subcommand(name="setup", description="Managers: channel, roles and timezone")
    async def setup(
        self,
        interaction: Interaction[Any],
        channel: nextcord.abc.GuildChannel | None = SlashOption(
            description="where announcements go",
            channel_types=[nextcord.ChannelType.text],
            required=False,
            default=None,
        ),
        participant_role: nextcord.Role | None = SlashOption(
            description="the role that marks participants", required=False, default=None
        ),
        manager_role: nextcord.Role | None = SlashOption(
            description="a role allowed to manage Ratmas (besides Manage Server)",
            required=False,
            default=None,
        ),
        timezone: str | None = SlashOption(
            description="IANA timezone, e.g. Europe/London", required=False, default=None
        ),
    ) -> None:
        await self._defer(interaction)
        await self._require_manager(interaction)
        result = await self.s.guild_settings.update(
            self._guild(interaction),
            self._user(interaction).id,
            announcement_channel_id=channel.id if channel else None,
            participant_role_id=participant_role.id if participant_role else None,
            manager_role_id=manager_role.id if manager_role else None,
            timezone=timezone,
        )
        await reply(interaction, render.setup_done(result))

    @setup.on_autocomplete("timezone")
    async def _setup_zones(self, interaction: Interaction[Any], timezone: str) -> None:
        await interaction.response.send_autocomplete(zone_choices(timezone))

    @ratmas.subcommand(name="create", description="Managers: schedule a new Ratmas")
    async def create(
        self,
        interaction: Interaction[Any],
        start: str = SlashOption(description=f"when names are drawn: {DATE_HELP}"),
        purchase_deadline: str = SlashOption(description=f"buy by: {DATE_HELP}"),
        reveal: str = SlashOption(description=f"who gave to whom is revealed: {DATE_HELP}"),
        timezone: str | None = SlashOption(
            description="IANA timezone (default: the server's)", required=False, default=None
        ),
    ) -> None:
        await self._defer(interaction)
        await self._require_manager(interaction)
        guild_id = self._guild(interaction)
        settings = await self.s.guild_settings.effective(guild_id)
        if settings.announcement_channel_id.value is None:
            raise InvalidInput(
                "channel", "no announcement channel is set; run `/ratmas setup channel:` first"
            )
        with date_options_named():
            result = await self.s.admin.create_event(
                guild_id,
                self._user(interaction).id,
                start,
                purchase_deadline,
                reveal,
                timezone or settings.timezone.value,
                announcement_channel_id=settings.announcement_channel_id.value,
                participant_role_id=settings.participant_role_id.value,
                manager_role_id=settings.manager_role_id.value,
            )
        await reply(interaction, render.created(result))

    @create.on_autocomplete("timezone")
    async def _create_zones(self, interaction: Interaction[Any], timezone: str) -> None:
        await interaction.response.send_autocomplete(zone_choices(timezone))

    @ratmas.subcommand(name="reschedule", description="Managers: move the dates still ahead")
    async def reschedule(
        self,
        interaction: Interaction[Any],
        start: str | None = SlashOption(
            description=f"new start: {DATE_HELP}", required=False, default=None
        ),
        purchase_deadline: str | None = SlashOption(
            description=f"new purchase deadline: {DATE_HELP}", required=False, default=None
        ),
        reveal: str | None = SlashOption(
            description=f"new reveal: {DATE_HELP}", required=False, default=None
        ),
    ) -> None:
        await self._defer(interaction)
        await self._require_manager(interaction)
        event = await self._event(interaction)
        with date_options_named():
            result = await self.s.admin.reschedule(
                event.id,
                self._user(interaction).id,
                starts_at=start,
                purchase_deadline=purchase_deadline,
                reveal_at=reveal,
            )
        await reply(interaction, render.override(result))

    @ratmas.subcommand(name="advance", description="Managers: perform the next phase now")
    async def advance(self, interaction: Interaction[Any]) -> None:
        await self._defer(interaction)
        await self._require_manager(interaction)
        event = await self._event(interaction)
        result = await self.s.admin.advance(event.id, self._user(interaction).id)
        await reply(interaction, render.override(result))

    @ratmas.subcommand(name="cancel", description="Managers: cancel the Ratmas")
    async def cancel(
        self,
        interaction: Interaction[Any],
        reason: str = SlashOption(description="why; posted with the announcement"),
    ) -> None:
        await self._defer(interaction)
        await self._require_manager(interaction)
        event = await self._event(interaction)
        result = await self.s.admin.cancel(event.id, self._user(interaction).id, reason)
        await reply(interaction, render.override(result))

    @ratmas.subcommand(name="redraw", description="Managers: draw the names again")
    async def redraw(
        self,
        interaction: Interaction[Any],
        force: bool = SlashOption(
            description="redraw even if santas were told (everyone gets a new DM)",
            required=False,
            default=False,
        ),
    ) -> None:
        await self._defer(interaction)
        await self._require_manager(interaction)
        event = await self._event(interaction)
        result = await self.s.admin.redraw(event.id, self._user(interaction).id, force=force)
        await reply(interaction, render.override(result))

    @ratmas.subcommand(name="retry-dms", description="Managers: send the pending santa DMs again")
    async def retry_dms(self, interaction: Interaction[Any]) -> None:
        await self._defer(interaction)
        await self._require_manager(interaction)
        event = await self._event(interaction)
        result = await self.s.admin.retry_dms(event.id, self._user(interaction).id)
        await reply(interaction, render.override(result))

    @ratmas.subcommand(name="exclude", description="Managers: someone must not draw someone")
    async def exclude(
        self,
        interaction: Interaction[Any],
        santa: nextcord.Member = SlashOption(description="who must not draw…"),
        recipient: nextcord.Member = SlashOption(description="…this member"),
        both_ways: bool = SlashOption(
            description="also the other way round (a couple)", required=False, default=True
        ),
    ) -> None:
        await self._defer(interaction)
        await self._require_manager(interaction)
        event = await self._event(interaction)
        chosen = (santa, recipient)
        result = await self.s.roster.exclude(
            event.id,
            self._user(interaction).id,
            santa.id,
            recipient.id,
            both_ways=both_ways,
            bots=[person.id for person in chosen if person.bot],
            # A user option resolves to a plain User when they are not in the guild.
            outside_guild=[p.id for p in chosen if not isinstance(p, nextcord.Member)],
        )
        await reply(interaction, render.exclusion(result))

    @ratmas.subcommand(name="unexclude", description="Managers: lift an exclusion")
    async def unexclude(
        self,
        interaction: Interaction[Any],
        santa: nextcord.Member = SlashOption(description="who may draw again…"),
        recipient: nextcord.Member = SlashOption(description="…this member"),
        both_ways: bool = SlashOption(
            description="also the other way round", required=False, default=True
        ),
    ) -> None:
        await self._defer(interaction)
        await self._require_manager(interaction)
        event = await self._event(interaction)
        result = await self.s.roster.unexclude(
            event.id, self._user(interaction).id, santa.id, recipient.id, both_ways=both_ways
        )
        await reply(interaction, render.exclusion(result))

    @ratmas.subcommand(name="add", description="Managers: add a member, even after the draw")
    async def add(
        self,
        interaction: Interaction[Any],
        member: nextcord.Member = SlashOption(description="the member to add"),
    ) -> None:
        await self._defer(interaction)
        await self._require_manager(interaction)
        event = await self._event(interaction)
        result = await self.s.roster.add_participant(
            event.id, self._user(interaction).id, member.id, member.display_name
        )
        await reply(interaction, render.joined(result))

    @ratmas.subcommand(name="participants", description="Managers: who is in, and exclusions")
    async def participants(self, interaction: Interaction[Any]) -> None:
        await self._defer(interaction)
        await self._require_manager(interaction)
        event = await self._event(interaction)
        await reply(interaction, render.participants(await self.s.roster.participants(event.id)))

    @ratmas.subcommand(name="jobs", description="Managers: the scheduler's jobs vs the database")
    async def jobs(self, interaction: Interaction[Any]) -> None:
        await self._defer(interaction)
        await self._require_manager(interaction)
        text = await self.bot.jobs_report(self._guild(interaction))
        await reply(interaction, render.fit(f"```\n{text[:1900]}\n```"))

    @ratmas.subcommand(name="export", description="Managers: the event as a JSON file")
    async def export(
        self,
        interaction: Interaction[Any],
        event: int | None = SlashOption(
            description="which event (default: the current one)", required=False, default=None
        ),
    ) -> None:
        await self._defer(interaction)
        await self._require_manager(interaction)
        chosen = await self.s.status.find_event(self._guild(interaction), event, latest=True)
        data = await self.bot.export(chosen.id)
        await interaction.followup.send(
            f"Ratmas {chosen.id} ({chosen.status}). It contains the pairings: keep it private.",
            file=nextcord.File(io.BytesIO(data.encode()), filename=f"ratmas-{chosen.id}.json"),
            ephemeral=True,
        )

    @export.on_autocomplete("event")
    async def _export_events(self, interaction: Interaction[Any], event: str) -> None:
        await self._complete_events(interaction, event)

    async def _complete_events(self, interaction: Interaction[Any], typed: Any) -> None:
        guild_id = interaction.guild_id
        events = await self.s.status.events(guild_id) if guild_id else []
        text = str(typed or "")
        choices = {
            f"#{e.id} {e.status} (starts {e.dates.starts_at:%Y-%m-%d})": e.id
            for e in events
            if text in str(e.id)
        }
        await interaction.response.send_autocomplete(dict(list(choices.items())[:MAX_CHOICES]))


def zone_choices(typed: str | None) -> list[str]:
    """Timezones for autocomplete: close names first, then those containing the text."""
    text = (typed or "").strip()
    if not text:
        return ["UTC", "Europe/London", "America/New_York", "Europe/Berlin", "Australia/Sydney"]
    folded = text.lower()
    found = suggest_timezones(text, limit=5)
    found += sorted(z for z in _zones() if folded in z.lower() and z not in found)
    return found[:MAX_CHOICES]


@functools.cache
def _zones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())
