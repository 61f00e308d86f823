"""`ratmas demo` plays one whole season against the loopback Discord.

The season is played once in-process (shared by the transcript tests) while the
`python -m ratmas.cli demo` run plays alongside it in a subprocess. Its clock skips to
each date once a scene is done, so each takes a few seconds of real time.
"""

from __future__ import annotations

import asyncio
import io
import os
import re
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import nextcord.http
import pytest

import ratmas.demo
from ratmas.demo import Names, play, readable
from ratmas.sandbox import Sandbox

pytestmark = pytest.mark.e2e

MEMBERS = ("ann", "bob", "cat", "dan", "eve", "fay")
CLOSED = "fay"
LEAVER = "dan"
SANTA_DM = "🎁 Ratmas: you are the Secret Santa of"


@dataclass(frozen=True)
class CliRun:
    process: subprocess.Popen[str]
    tmp: Path


@pytest.fixture(scope="module")
def cli_run(tmp_path_factory: pytest.TempPathFactory) -> Iterator[CliRun]:
    """`python -m ratmas.cli demo`, started first so that it plays while the in-process
    season does. No config file, and a DATABASE_URL the demo must ignore."""
    tmp = tmp_path_factory.mktemp("cli-demo")
    env = {
        **os.environ,
        "TMPDIR": str(tmp),
        "DATABASE_URL": "postgres://nobody@127.0.0.1:1/not-used",
    }
    env.pop("RATMAS_CONFIG", None)
    process = subprocess.Popen(
        [sys.executable, "-m", "ratmas.cli", "demo"],
        cwd=tmp,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    yield CliRun(process, tmp)
    if process.poll() is None:
        process.kill()
        process.communicate()


@pytest.fixture(scope="module")
def played(cli_run: CliRun, tmp_path_factory: pytest.TempPathFactory) -> tuple[int, str]:
    out = io.StringIO()
    status = asyncio.run(play(out, data_dir=tmp_path_factory.mktemp("demo")))
    return status, out.getvalue()


@pytest.fixture(scope="module")
def transcript(played: tuple[int, str]) -> str:
    status, text = played
    assert status == 0, text
    return text


def scene(text: str, title: str) -> str:
    """The transcript from the heading `== title ==` to the next heading."""
    start = text.index(f"== {title} ==")
    end = text.find("\n== ", start + 1)
    return text[start : end if end != -1 else len(text)]


def santa_dms(text: str) -> list[str]:
    return re.findall(rf"^\[\d+\] DM to (\w+): (?:🔁[^\n]*\n\s+)?{SANTA_DM}", text, re.M)


def test_the_demo_returns_zero(played: tuple[int, str]) -> None:
    status, text = played
    assert status == 0, text
    assert "Both seasons took" in text
    assert "the clock skipped the" in text


def test_the_transcript_has_every_scene_in_order(transcript: str) -> None:
    titles = ["Setup", "Sign-ups", "The draw", "Shopping", "Reveal", "Next year"]
    positions = [transcript.index(f"== {t} ==") for t in titles]
    assert positions == sorted(positions)


def test_posts_are_numbered_in_order(transcript: str) -> None:
    numbers = [int(n) for n in re.findall(r"^\[(\d+)\]", transcript, re.M)]
    assert numbers == list(range(1, len(numbers) + 1))


def test_members_join_with_the_button_and_only_they_see_the_answer(transcript: str) -> None:
    signups = scene(transcript, "Sign-ups")
    assert "manager runs /ratmas-admin create start:" in signups
    assert "[🎁 Join] [Leave]" in signups
    for name in MEMBERS:
        assert f"{name} clicks Join → (only {name} sees) You're in, {name}!" in signups
    assert "ann runs /ratmas wishlist url:https://example.com/ann/wishlist" in signups


def test_the_draw_dms_every_santa_but_the_closed_one_who_is_pinged(transcript: str) -> None:
    draw = scene(transcript, "The draw")
    assert sorted(santa_dms(draw)) == sorted(set(MEMBERS) - {CLOSED})
    assert f"#ratmas  Ratmas bot: 📪 I could not DM you your Ratmas assignment: @{CLOSED}" in draw
    assert "DM to manager: 🛠️ For the organisers: santa DMs: 5 sent, 1 with closed DMs" in draw
    assert "Names are drawn!" in draw


def test_shopping_retries_the_dm_tells_of_the_wishlist_and_splices_the_leaver(
    transcript: str,
) -> None:
    shopping = scene(transcript, "Shopping")
    retry = shopping.index(f"{CLOSED} clicks Retry")
    assert shopping.index(f"* {CLOSED} allows DMs from the server") < retry
    assert "Sent! Check your DMs" in shopping[retry:]
    assert f"DM to {CLOSED}: {SANTA_DM}" in shopping[retry:]
    # Nothing is left for the organisers to re-send.
    assert "manager runs /ratmas-admin retry-dms" in shopping
    assert "Every santa has already received their DM" in shopping
    assert "updated their Ratmas wishlist: https://example.com/ann/new-wishlist" in shopping
    leaves = shopping.index(f"* {LEAVER} leaves the server")
    assert "Change of plans: someone left this Ratmas" in shopping[leaves:]
    assert "The purchase deadline has passed" in shopping


def test_the_reveal_pairs_everyone_left_once_each_way(transcript: str) -> None:
    reveal = scene(transcript, "Reveal")
    pairs = re.findall(r"^\s+(\w+) \(@\1\) → (\w+) \(@\2\)$", reveal, re.M)
    stayed = set(MEMBERS) - {LEAVER}
    assert sorted(santa for santa, _ in pairs) == sorted(stayed)
    assert sorted(recipient for _, recipient in pairs) == sorted(stayed)
    assert all(santa != recipient for santa, recipient in pairs)


def test_nothing_is_pending_at_the_end(transcript: str) -> None:
    reveal = scene(transcript, "Reveal")
    assert "bob runs /ratmas status" in reveal
    assert "(only bob sees) Ratmas 1: revealed" in reveal
    jobs = reveal[reveal.index("manager runs /ratmas-admin jobs") :]
    assert "(none)" in jobs
    assert "The scheduler matches the database." in jobs


def test_next_year_nobody_draws_last_years_giftee(transcript: str) -> None:
    reveal, next_year = scene(transcript, "Reveal"), scene(transcript, "Next year")
    last = dict(re.findall(r"^\s+(\w+) \(@\1\) → (\w+) \(@\2\)$", reveal, re.M))
    assert "manager runs /ratmas-admin advance" in next_year
    assert "manager runs /ratmas-admin create start:" in next_year
    now = dict(re.findall(rf"^\[\d+\] DM to (\w+): {SANTA_DM} (\w+)", next_year, re.M))
    assert sorted(now) == sorted(last)
    assert all(now[santa] != last[santa] for santa in now), (last, now)
    assert "nobody drew the same giftee as last year" in next_year


def test_budget_notes_and_the_household_reach_whom_they_concern(transcript: str) -> None:
    setup, signups = scene(transcript, "Setup"), scene(transcript, "Sign-ups")
    draw, shopping = scene(transcript, "The draw"), scene(transcript, "Shopping")
    assert "manager runs /ratmas-admin household add member1:@bob member2:@cat" in setup
    assert "They never draw one another" in setup
    assert "budget:€20–30" in signups
    assert "💶 Budget: €20–30" in signups  # the creation post
    assert "ann runs /ratmas notes text:size M, no nuts please" in signups
    # Every assignment shows the budget; only ann's santa sees her notes.
    assignments = re.findall(rf"^\[\d+\] DM to (\w+): {SANTA_DM} (\w+)", draw, re.M)
    assert draw.count("💶 Budget: €20–30") == len(assignments)
    # The santa with closed DMs gets theirs only after Retry, in the shopping scene.
    told = draw + shopping[: shopping.index("ann runs /ratmas notes")]
    assert told.count("📝 Their notes for you: size M, no nuts please") == 1
    assert all({santa, giftee} != {"bob", "cat"} for santa, giftee in assignments)
    assert "updated their notes for you" in shopping


def test_a_gift_is_marked_sent_and_received_without_naming_the_santa(transcript: str) -> None:
    shopping = scene(transcript, "Shopping")
    sent = shopping.index("clicks Gift sent in their DM")
    on_its_way = shopping.index("your Secret Santa says your gift is on its way", sent)
    received = shopping.index("clicks Gift received in their DM", on_its_way)
    assert "received your gift" in shopping[received:]
    giftee_dm = shopping[on_its_way : shopping.index("\n", on_its_way)]
    assert "@" not in giftee_dm
    assert "Gifts: 1 marked sent, 1 marked received" in shopping


def test_a_giftee_asks_their_santa_and_the_santa_replies_anonymously(transcript: str) -> None:
    shopping = scene(transcript, "Shopping")
    asked = shopping.index("ann runs /ratmas message to:santa text:")
    assert "Delivered to your Secret Santa, anonymously" in shopping[asked:]
    question = re.search(r"^\[\d+\] DM to (\w+): 📨 From your giftee:\n(.*)$", shopping, re.M)
    assert question is not None
    santa = question[1]
    assert "I'm away from the 20th" in question[2]
    assert "ann" not in question[2]
    after = shopping[question.end() :]
    assert f'{santa} clicks Reply in their DM → the form "Reply to your giftee"' in after
    assert f"{santa} submits it: Of course!" in after
    answer = re.search(r"^\[\d+\] DM to ann: 📨 From your Secret Santa:\n(.*)$", after, re.M)
    assert answer is not None
    assert "by the 18th" in answer[1]
    assert santa not in answer[1]


def test_reminders_reach_only_those_who_still_need_them(transcript: str) -> None:
    next_year = scene(transcript, "Next year")
    wishlist_due = next_year.index("the wishlist reminder is due")
    drawn = next_year.index("the scheduler draws the names")
    wishlist = re.findall(r"^\[\d+\] DM to (\w+): 🎄 Ratmas reminder", next_year, re.M)
    assert sorted(wishlist) == sorted(set(MEMBERS) - {LEAVER, "ann"})  # ann set hers
    assert all(wishlist_due < next_year.index(f"DM to {n}: 🎄") < drawn for n in wishlist)
    assert "(in 2 days)" in next_year
    early = re.search(
        r"^(\w+) runs /ratmas gift sent → \(only \1 sees\) Marked sent", next_year, re.M
    )
    assert early is not None
    gift = re.findall(r"^\[\d+\] DM to (\w+): ⏰ Ratmas reminder", next_year, re.M)
    assert sorted(gift) == sorted(set(MEMBERS) - {LEAVER, early[1]})
    assert next_year.index("the gift reminder is due") < next_year.index("⏰ Ratmas reminder")


def test_history_shows_the_revealed_season(transcript: str) -> None:
    reveal = scene(transcript, "Reveal")
    history = reveal[reveal.index("cat runs /ratmas history") :]
    assert "Ratmas 1 · revealed" in history
    assert history.count("🎁") == len(set(MEMBERS) - {LEAVER})


def test_discord_markup_is_made_readable(transcript: str) -> None:
    for markup in ("<@", "<#", "<t:", "**", "```", "\u200b"):
        assert markup not in transcript


def test_readable_renders_mentions_times_links_and_escapes() -> None:
    names = Names(users={1: "ann"}, roles={2: "Santas"}, channels={3: "ratmas"})
    stamp = int(datetime(2026, 12, 1, 18, 30, 5, tzinfo=UTC).timestamp())
    text = (
        f"**\\*ann\\*** (<@1>) in <#3> for <@&2> by <t:{stamp}:F>, see "
        "<https://example.com/x> @\u200beveryone <@9>"
    )
    assert readable(text, names) == (
        "*ann* (@ann) in #ratmas for @Santas by Tue 01 Dec 2026 18:30:05 UTC, see "
        "https://example.com/x @everyone @unknown-user"
    )
    soon = datetime(2026, 12, 1, 18, 30, 0, tzinfo=UTC)
    assert readable(f"<t:{stamp}:R>", names, now=soon) == "in 5 s"
    assert readable(f"<t:{stamp}:R>", names, now=soon - timedelta(days=2)) == "in 2 days"
    assert readable(f"<t:{stamp}:R>", names, now=soon + timedelta(hours=3)) == "3 h ago"


def test_the_cli_plays_the_demo_without_config_token_or_database(
    cli_run: CliRun, played: tuple[int, str]
) -> None:
    stdout, stderr = cli_run.process.communicate(timeout=120)
    assert cli_run.process.returncode == 0, stdout + stderr
    assert "== Reveal ==" in stdout
    assert "The scheduler matches the database." in stdout
    assert stderr == ""  # the log stays quiet without --verbose
    assert list(cli_run.tmp.iterdir()) == []  # the throw-away database is gone


def test_a_missing_message_is_one_line_and_everything_is_shut_down(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    build = ratmas.demo._build_guild

    async def nobody_accepts_dms(sb: Sandbox) -> ratmas.demo.Cast:
        cast = await build(sb)
        for member in cast.members.values():
            sb.close_dms(member.id)
        return cast

    monkeypatch.setattr(ratmas.demo, "_build_guild", nobody_accepts_dms)
    monkeypatch.setattr(ratmas.demo, "LATE_MARGIN", 1.0)
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    base = nextcord.http.Route.BASE
    out = io.StringIO()

    assert asyncio.run(play(out, speed=2)) == 1

    last = out.getvalue().rstrip("\n").splitlines()[-1]
    assert re.fullmatch(r"ratmas demo failed: no santa DM to ann within \d+ s", last), last
    assert list(tmp_path.iterdir()) == []
    assert base == nextcord.http.Route.BASE
