"""How Discord's refusals become the delivery failures the services act on."""

from __future__ import annotations

from dataclasses import dataclass

import nextcord
import pytest
from hypothesis import given
from hypothesis import strategies as st

from ratmas.bot.discord_port import (
    allowed_mentions,
    delivery_error,
    nonce_in,
    nonce_marker,
    to_embeds,
    with_marker,
)
from ratmas.bot.errors import lost_race
from ratmas.domain.model import outbox_id_of
from ratmas.services.errors import ConcurrentChange, DeliveryFailure
from ratmas.services.ports import Embed, Message


@dataclass
class FakeResponse:
    """The two attributes nextcord's HTTPException reads from an aiohttp response."""

    status: int
    reason: str


def refusal(
    kind: type[nextcord.HTTPException], status: int, code: int, text: str
) -> nextcord.HTTPException:
    return kind(FakeResponse(status, "Forbidden"), {"code": code, "message": text})


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        (
            refusal(nextcord.Forbidden, 403, 50007, "Cannot send messages to this user"),
            DeliveryFailure.DMS_CLOSED,
        ),
        (
            refusal(nextcord.Forbidden, 403, 40003, "You are opening direct messages too fast."),
            DeliveryFailure.SLOW_DOWN,
        ),
        (
            refusal(
                nextcord.HTTPException,
                400,
                20026,
                "This account has been flagged as spam and is quarantined",
            ),
            DeliveryFailure.SLOW_DOWN,
        ),
        (refusal(nextcord.NotFound, 404, 10013, "Unknown User"), DeliveryFailure.UNKNOWN_USER),
        (refusal(nextcord.NotFound, 404, 10007, "Unknown Member"), DeliveryFailure.UNKNOWN_USER),
        (refusal(nextcord.Forbidden, 403, 50001, "Missing Access"), DeliveryFailure.OTHER),
    ],
)
def test_refusals_are_classified(error: nextcord.HTTPException, expected: DeliveryFailure) -> None:
    classified = delivery_error(error)
    assert classified.kind is expected
    assert classified.code == error.code


def test_only_named_users_may_be_pinged() -> None:
    mentions = allowed_mentions(Message("@everyone <@&5> <@7> <@8>", mention_user_ids=(7,)))
    data = mentions.to_dict()
    assert data["parse"] == []
    assert data["users"] == [7]
    assert "roles" not in data or data["roles"] == []


def test_the_nonce_marker_survives_a_full_length_message() -> None:
    assert with_marker("hi", "ratmas-7") == "hi\n-# ref ratmas-7"
    full = with_marker("x" * 2000, "ratmas-1234567")
    assert len(full) == 2000
    assert full.endswith("\n" + nonce_marker("ratmas-1234567"))


def test_embeds_are_cut_to_discord_limits() -> None:
    (embed,) = to_embeds(
        Message("", embeds=(Embed("t" * 300, "d" * 5000, (("n" * 300, "v" * 2000),)),))
    )
    assert len(embed.title or "") == 256
    assert len(embed.description or "") == 4096
    assert len(embed.fields[0].value or "") == 1024


def test_another_process_winning_is_not_an_error() -> None:
    acknowledged = refusal(
        nextcord.HTTPException, 400, 40060, "Interaction has already been acknowledged."
    )
    assert lost_race(acknowledged) is not None
    assert lost_race(ConcurrentChange("stored by another process")) is not None
    assert lost_race(refusal(nextcord.Forbidden, 403, 50007, "closed")) is None
    assert lost_race(RuntimeError("a bug")) is None


# A nonce is at most 25 characters: `ratmas-` and up to 18 digits.
@given(content=st.text(max_size=2500), entry_id=st.integers(min_value=1, max_value=10**18 - 1))
def test_a_gift_button_finds_its_dm_from_the_marker_line(content: str, entry_id: int) -> None:
    """The gift buttons read the outbox row back from the DM they are under: whatever the
    DM says, its marker line (the last one) names the row it was sent for."""
    sent = with_marker(content, f"ratmas-{entry_id}")
    assert outbox_id_of(nonce_in(sent)) == entry_id


@given(text=st.text(max_size=300))
def test_any_text_names_no_dm_or_a_well_formed_one(text: str) -> None:
    found = outbox_id_of(nonce_in(text))
    assert found is None or (0 <= found < 10**19 and f"-# ref ratmas-{found}" in text)


def test_text_without_our_marker_names_no_dm() -> None:
    for text in ("", "hello", "-# ref ratmas-", "-# ref ratmas-12x", "-# ref other-12"):
        assert outbox_id_of(nonce_in(text)) is None
