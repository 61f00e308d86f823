"""The lifecycle table: every status x every trigger (and as the docstring shows it), the
start guard, bad input."""

from __future__ import annotations

import logging

import pytest

from ratmas.domain import lifecycle
from ratmas.domain.errors import InvalidInput, InvalidTransition, RatmasError
from ratmas.domain.lifecycle import (
    PHASE_TRIGGERS,
    STATES,
    TRANSITIONS,
    Lifecycle,
    Trigger,
    allowed_moves,
    performed_phases,
    phase_source,
    phase_target,
    target,
    waiting_for,
)
from ratmas.domain.status import LIVE_STATUSES, PHASE_ORDER, EventStatus, Phase

S = EventStatus
T = Trigger

# The table as it must be; anything not listed is refused.
EXPECTED: dict[tuple[EventStatus, Trigger], EventStatus] = {
    (S.SCHEDULED, T.START): S.ACTIVE,
    (S.ACTIVE, T.CLOSE_PURCHASES): S.PURCHASE_CLOSED,
    (S.PURCHASE_CLOSED, T.REVEAL): S.REVEALED,
    (S.REVEALED, T.ARCHIVE): S.ARCHIVED,
    (S.SCHEDULED, T.CANCEL): S.CANCELLED,
    (S.ACTIVE, T.CANCEL): S.CANCELLED,
    (S.PURCHASE_CLOSED, T.CANCEL): S.CANCELLED,
    (S.REVEALED, T.CANCEL): S.CANCELLED,
}

ALLOWED_FROM: dict[EventStatus, tuple[Trigger, ...]] = {
    S.SCHEDULED: (T.START, T.CANCEL),
    S.ACTIVE: (T.CLOSE_PURCHASES, T.CANCEL),
    S.PURCHASE_CLOSED: (T.REVEAL, T.CANCEL),
    S.REVEALED: (T.ARCHIVE, T.CANCEL),
    S.ARCHIVED: (),
    S.CANCELLED: (),
}

ALL_PAIRS = [(status, trigger) for status in EventStatus for trigger in Trigger]


def enough(status: EventStatus | str) -> Lifecycle:
    return Lifecycle(status, participant_count=3, min_participants=3)


@pytest.mark.parametrize(("status", "trigger"), ALL_PAIRS, ids=lambda v: str(v))
def test_every_status_and_trigger(status: EventStatus, trigger: Trigger) -> None:
    machine = enough(status)
    expected = EXPECTED.get((status, trigger))
    assert machine.can(trigger) is (expected is not None)
    assert target(status, trigger) == expected
    if expected is not None:
        assert machine.fire(trigger) is expected
        assert machine.status is expected
        return
    with pytest.raises(InvalidTransition) as refused:
        machine.fire(trigger)
    message = str(refused.value)
    assert f"Cannot {trigger}" in message
    assert f"the event is {status}" in message
    allowed = ALLOWED_FROM[status]
    if allowed:
        assert f"allowed from {status}: {', '.join(allowed)}" in message
    else:
        assert "final: no moves are allowed" in message
    assert machine.status is status


def test_refusal_messages_read_well() -> None:
    with pytest.raises(InvalidTransition, match=r"^Cannot reveal now: the event is active; "):
        enough(S.ACTIVE).fire("reveal")
    with pytest.raises(InvalidTransition) as refused:
        enough(S.REVEALED).fire("start")
    assert str(refused.value) == (
        "Cannot start now: the event is revealed; allowed from revealed: archive, cancel."
    )
    with pytest.raises(InvalidTransition) as refused:
        enough(S.CANCELLED).fire("cancel")
    assert str(refused.value) == (
        "Cannot cancel now: the event is cancelled, which is final: no moves are allowed."
    )


def test_the_table_is_the_data() -> None:
    built = {
        (S(source), T(row["trigger"])): S(row["dest"])
        for row in TRANSITIONS
        for source in row["source"]
    }
    assert built == EXPECTED
    assert tuple(EventStatus) == STATES
    for status in EventStatus:
        assert allowed_moves(status) == ALLOWED_FROM[status]
        assert allowed_moves(str(status)) == ALLOWED_FROM[status]


def test_the_documented_transition_table_is_the_built_one() -> None:
    doc = lifecycle.__doc__ or ""
    lines = [line for line in doc.splitlines() if "|" in line and "---" not in line]
    header, *body_lines = [line.split("|", 1) for line in lines]
    body = [(status.strip(), cells) for status, cells in body_lines]
    triggers = [t.strip() for t in header[1].split("|")]
    assert triggers == [t.value for t in Trigger]
    documented = {
        (status, trigger): cell.strip().split(" ")[0]
        for status, cells in body
        for trigger, cell in zip(triggers, cells.split("|"), strict=True)
    }
    built = {(status.value, trigger.value): "-" for status in EventStatus for trigger in Trigger}
    for row in TRANSITIONS:
        for source in row["source"]:
            built[(str(source), str(row["trigger"]))] = str(row["dest"])
    assert documented == built


def test_cancel_from_every_live_status_and_only_those() -> None:
    assert {s for s in EventStatus if T.CANCEL in allowed_moves(s)} == LIVE_STATUSES


def test_phases_map_to_their_triggers() -> None:
    assert set(PHASE_TRIGGERS) == set(Phase)
    for phase in PHASE_ORDER:
        assert target(phase_source(phase), PHASE_TRIGGERS[phase]) is phase_target(phase)


def test_phase_sources_and_targets_come_from_the_table() -> None:
    assert [(phase_source(p), phase_target(p)) for p in PHASE_ORDER] == [
        (S.SCHEDULED, S.ACTIVE),
        (S.ACTIVE, S.PURCHASE_CLOSED),
        (S.PURCHASE_CLOSED, S.REVEALED),
    ]
    assert [waiting_for(s) for s in S] == [
        Phase.START,
        Phase.PURCHASE_DEADLINE,
        Phase.REVEAL,
        None,
        None,
        None,
    ]
    assert performed_phases(S.SCHEDULED) == frozenset()
    assert performed_phases(S.PURCHASE_CLOSED) == {Phase.START, Phase.PURCHASE_DEADLINE}
    assert performed_phases(S.REVEALED) == frozenset(PHASE_ORDER)


def test_a_whole_season() -> None:
    machine = enough(S.SCHEDULED)
    assert [machine.fire(PHASE_TRIGGERS[p]) for p in PHASE_ORDER] == [
        S.ACTIVE,
        S.PURCHASE_CLOSED,
        S.REVEALED,
    ]
    assert machine.fire(T.ARCHIVE) is S.ARCHIVED
    assert machine.allowed() == ()


# --- the start guard ------------------------------------------------------------------


def test_start_refused_with_too_few_participants() -> None:
    machine = Lifecycle(S.SCHEDULED, participant_count=2, min_participants=3)
    assert not machine.can(T.START)
    assert machine.can(T.CANCEL)
    with pytest.raises(InvalidTransition) as refused:
        machine.fire(T.START)
    assert str(refused.value) == (
        "Cannot start now: needs at least 3 participants, has 2 "
        "(the event stays scheduled; allowed from scheduled: start, cancel)."
    )
    assert isinstance(refused.value, RatmasError)
    assert machine.status is S.SCHEDULED
    assert machine.fire(T.CANCEL) is S.CANCELLED


@pytest.mark.parametrize(
    ("count", "minimum", "ok"),
    [(0, 1, False), (1, 1, True), (3, 3, True), (4, 3, True), (9, 10, False)],
)
def test_start_guard_threshold(count: int, minimum: int, ok: bool) -> None:
    machine = Lifecycle(S.SCHEDULED, participant_count=count, min_participants=minimum)
    assert machine.can(T.START) is ok
    if ok:
        assert machine.fire(T.START) is S.ACTIVE
    else:
        with pytest.raises(InvalidTransition, match=f"has {count}"):
            machine.fire(T.START)


def test_guard_only_applies_to_start() -> None:
    machine = Lifecycle(S.ACTIVE, participant_count=0, min_participants=3)
    assert machine.fire(T.CLOSE_PURCHASES) is S.PURCHASE_CLOSED


# --- bad input ------------------------------------------------------------------------


@pytest.mark.parametrize("status", ["bogus", "Scheduled", "", "to_active"])
def test_unknown_initial_status_refused(status: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        Lifecycle(status)
    assert refused.value.field == "status"
    assert "scheduled, active, purchase_closed, revealed, archived, cancelled" in str(refused.value)
    with pytest.raises(InvalidInput):
        allowed_moves(status)


def test_unknown_trigger_refused() -> None:
    machine = enough(S.SCHEDULED)
    assert not machine.can("to_active")
    with pytest.raises(InvalidTransition, match=r"Unknown move 'to_active'.*start, cancel"):
        machine.fire("to_active")
    assert machine.status is S.SCHEDULED


def test_counts_validated() -> None:
    with pytest.raises(InvalidInput, match="min_participants"):
        Lifecycle(S.SCHEDULED, min_participants=0)
    with pytest.raises(InvalidInput, match="participant_count"):
        Lifecycle(S.SCHEDULED, participant_count=-1)


def test_string_statuses_accepted() -> None:
    machine = Lifecycle("active")
    assert machine.status is S.ACTIVE
    assert machine.fire("close_purchases") is S.PURCHASE_CLOSED


def test_no_auto_transitions_and_nothing_left_unbound(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger="transitions")
    machine = enough(S.SCHEDULED)
    model = machine._model
    assert not hasattr(model, "to_archived")
    # Every method the machine binds is declared on the model: no "skip binding" noise.
    assert not [r for r in caplog.records if "Skip binding" in r.getMessage()]
    assert model.may_start() is True
    assert model.is_scheduled() is True
