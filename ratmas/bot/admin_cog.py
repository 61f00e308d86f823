"""`/ratmas-admin …`: the managers' commands, thin adapters to one service call each.

The command is registered with `default_member_permissions` = Manage Server, so
Discord shows it only to members who have that permission (a server admin can let
the manager role see it too: Server Settings → Integrations → Ratmas). Discord's
setting is only what members see: every command still checks Manage Server or the
guild's manager role itself and refuses everyone else without changing anything.
"""

from __future__ import annotations

import contextlib
import io
from collections.abc import Iterator
from typing import Any

import nextcord
from nextcord import Interaction, SlashOption

from ratmas.bot import render
from ratmas.bot.errors import reply
from ratmas.bot.interactions import GUILD_ONLY, RatmasCogBase, zone_choices
from ratmas.domain.errors import InvalidInput
from ratmas.domain.limits import MAX_BUDGET_LENGTH
from ratmas.domain.reminders import MAX_REMINDER_DAYS

DATE_HELP = "local time YYYY-MM-DD HH:MM in the event's timezone"
# The services name dates by their fields; a manager typed them into these options.
DATE_OPTIONS = {
    "starts_at": "start",
    "purchase_deadline": "purchase_deadline",
    "reveal_at": "reveal",
}
# What Discord requires of a member to show them `/ratmas-admin`.
ADMIN_PERMISSIONS = nextcord.Permissions(manage_guild=True)


@contextlib.contextmanager
def date_options_named() -> Iterator[None]:
    """Name a bad date by the option the manager typed it into, not by our field."""
    try:
        yield
    except InvalidInput as error:
        if error.field not in DATE_OPTIONS:
            raise
        raise InvalidInput(DATE_OPTIONS[error.field], error.problem) from None


class RatmasAdminCog(RatmasCogBase):
    """The managers' commands."""

    @nextcord.slash_command(
        name="ratmas-admin",
        description="Secret Santa: manager commands",
        contexts=GUILD_ONLY,
        default_member_permissions=ADMIN_PERMISSIONS,
    )
    async def admin(self, interaction: Interaction[Any]) -> None:
        """The managers' command group; Discord never invokes it directly."""

    # --- managers -------------------------------------------------------------------
    @admin.subcommand(name="setup", description="Channel, roles, timezone and reminders")
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
        wishlist_reminder_days: int | None = SlashOption(
            description=(
                f"DM participants without a wishlist this many days before the start "
                f"(0: off, at most {MAX_REMINDER_DAYS})"
            ),
            min_value=0,
            max_value=MAX_REMINDER_DAYS,
            required=False,
            default=None,
        ),
        gift_reminder_days: int | None = SlashOption(
            description=(
                f"DM santas whose gift is not marked sent this many days before the "
                f"deadline (0: off, at most {MAX_REMINDER_DAYS})"
            ),
            min_value=0,
            max_value=MAX_REMINDER_DAYS,
            required=False,
            default=None,
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
            wishlist_reminder_days=wishlist_reminder_days,
            gift_reminder_days=gift_reminder_days,
        )
        await reply(interaction, render.setup_done(result))

    @setup.on_autocomplete("timezone")
    async def _setup_zones(self, interaction: Interaction[Any], timezone: str) -> None:
        await interaction.response.send_autocomplete(zone_choices(timezone))

    @admin.subcommand(name="create", description="Schedule a new Ratmas")
    async def create(
        self,
        interaction: Interaction[Any],
        start: str = SlashOption(description=f"when names are drawn: {DATE_HELP}"),
        purchase_deadline: str = SlashOption(description=f"buy by: {DATE_HELP}"),
        reveal: str = SlashOption(description=f"who gave to whom is revealed: {DATE_HELP}"),
        timezone: str | None = SlashOption(
            description="IANA timezone (default: the server's)", required=False, default=None
        ),
        budget: str | None = SlashOption(
            description="what a gift should cost, e.g. €20–30 (shown to everyone)",
            required=False,
            default=None,
            max_length=MAX_BUDGET_LENGTH,
        ),
    ) -> None:
        await self._defer(interaction)
        await self._require_manager(interaction)
        guild_id = self._guild(interaction)
        settings = await self.s.guild_settings.effective(guild_id)
        if settings.announcement_channel_id.value is None:
            raise InvalidInput(
                "channel",
                "no announcement channel is set; run `/ratmas-admin setup channel:` first",
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
                reminder_days=settings.reminder_days,
                budget=budget,
            )
        await reply(interaction, render.created(result))

    @create.on_autocomplete("timezone")
    async def _create_zones(self, interaction: Interaction[Any], timezone: str) -> None:
        await interaction.response.send_autocomplete(zone_choices(timezone))

    @admin.subcommand(name="budget", description="Change or remove the gift budget")
    async def budget(
        self,
        interaction: Interaction[Any],
        amount: str | None = SlashOption(
            description="what a gift should cost, e.g. €20–30; leave it out to remove it",
            required=False,
            default=None,
            max_length=MAX_BUDGET_LENGTH,
        ),
    ) -> None:
        await self._defer(interaction)
        await self._require_manager(interaction)
        event = await self._event(interaction)
        result = await self.s.admin.set_budget(event.id, self._user(interaction).id, amount)
        await reply(interaction, render.override(result))

    @admin.subcommand(name="reschedule", description="Move the dates still ahead")
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

    @admin.subcommand(name="advance", description="Perform the next phase now")
    async def advance(self, interaction: Interaction[Any]) -> None:
        await self._defer(interaction)
        await self._require_manager(interaction)
        event = await self._event(interaction)
        result = await self.s.admin.advance(event.id, self._user(interaction).id)
        await reply(interaction, render.override(result))

    @admin.subcommand(name="cancel", description="Cancel the Ratmas")
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

    @admin.subcommand(name="redraw", description="Draw the names again")
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

    @admin.subcommand(name="retry-dms", description="Send the pending santa DMs again")
    async def retry_dms(self, interaction: Interaction[Any]) -> None:
        await self._defer(interaction)
        await self._require_manager(interaction)
        event = await self._event(interaction)
        result = await self.s.admin.retry_dms(event.id, self._user(interaction).id)
        await reply(interaction, render.override(result))

    @admin.subcommand(name="exclude", description="Someone must not draw someone")
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

    @admin.subcommand(name="unexclude", description="Lift an exclusion")
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

    @admin.subcommand(name="add", description="Add a member, even after the draw")
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

    @admin.subcommand(name="participants", description="Who is in, and exclusions")
    async def participants(self, interaction: Interaction[Any]) -> None:
        await self._defer(interaction)
        await self._require_manager(interaction)
        event = await self._event(interaction)
        await reply(interaction, render.participants(await self.s.roster.participants(event.id)))

    @admin.subcommand(name="jobs", description="The scheduler's jobs vs the database")
    async def jobs(self, interaction: Interaction[Any]) -> None:
        await self._defer(interaction)
        await self._require_manager(interaction)
        text = await self.bot.jobs_report(self._guild(interaction))
        await reply(interaction, render.fit(f"```\n{text[:1900]}\n```"))

    @admin.subcommand(name="export", description="The event as a JSON file")
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

    # --- households -------------------------------------------------------------------
    @admin.subcommand(name="household", description="People who never draw one another")
    async def household(self, interaction: Interaction[Any]) -> None:
        """The household group; Discord never invokes it directly."""

    @household.subcommand(name="add", description="A household: its members never draw each other")
    async def household_add(
        self,
        interaction: Interaction[Any],
        member1: nextcord.Member = SlashOption(description="a member of the household"),
        member2: nextcord.Member | None = SlashOption(
            description="another member of the household", required=False, default=None
        ),
        member3: nextcord.Member | None = SlashOption(
            description="another member of the household", required=False, default=None
        ),
        member4: nextcord.Member | None = SlashOption(
            description="another member of the household", required=False, default=None
        ),
        member5: nextcord.Member | None = SlashOption(
            description="another member of the household", required=False, default=None
        ),
        member6: nextcord.Member | None = SlashOption(
            description="another member of the household", required=False, default=None
        ),
        member7: nextcord.Member | None = SlashOption(
            description="another member of the household", required=False, default=None
        ),
        member8: nextcord.Member | None = SlashOption(
            description="another member of the household", required=False, default=None
        ),
    ) -> None:
        await self._defer(interaction)
        await self._require_manager(interaction)
        given = [member1, member2, member3, member4, member5, member6, member7, member8]
        chosen = [person for person in given if person is not None]
        result = await self.s.households.add(
            self._guild(interaction),
            self._user(interaction).id,
            [None if person is None else person.id for person in given],
            bots=[person.id for person in chosen if person.bot],
            # A user option resolves to a plain User when they are not in the guild.
            outside_guild=[p.id for p in chosen if not isinstance(p, nextcord.Member)],
        )
        await reply(interaction, render.household_added(result))

    @household.subcommand(name="remove", description="Remove a household, or one member of it")
    async def household_remove(
        self,
        interaction: Interaction[Any],
        household: int | None = SlashOption(
            description="the household's number (see household list)",
            required=False,
            default=None,
            min_value=1,
            max_value=2**63 - 1,
        ),
        member: nextcord.Member | None = SlashOption(
            description="take only this member out of their household",
            required=False,
            default=None,
        ),
    ) -> None:
        await self._defer(interaction)
        await self._require_manager(interaction)
        member_id = None if member is None else member.id
        result = await self.s.households.remove(
            self._guild(interaction),
            self._user(interaction).id,
            household_id=household,
            member=member_id,
        )
        await reply(interaction, render.household_removed(result, member_id))

    @household.subcommand(name="list", description="This server's households")
    async def household_list(self, interaction: Interaction[Any]) -> None:
        await self._defer(interaction)
        await self._require_manager(interaction)
        await reply(
            interaction, render.households(await self.s.households.list(self._guild(interaction)))
        )
