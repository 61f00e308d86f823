"""The lifecycle of an event: which status may follow which, and on what condition.

Transition table (as built from `TRANSITIONS`; `-` = refused):

    status \\ trigger | start         | close_purchases | reveal   | archive  | cancel
    -----------------+---------------+-----------------+----------+----------+----------
    scheduled        | active [1]    | -               | -        | -        | cancelled
    active           | -             | purchase_closed | -        | -        | cancelled
    purchase_closed  | -             | -               | revealed | -        | cancelled
    revealed         | -             | -               | -        | archived | cancelled
    archived         | -             | -               | -        | -        | -
    cancelled        | -             | -               | -        | -        | -

    [1] guarded: at least `min_participants` participants after the participant sync.

The dated phases (`start`, `purchase_deadline`, `reveal`) each fire one trigger of
that table (`PHASE_TRIGGERS`) from one status to the next (`phase_source`,
`phase_target`); archiving and cancelling are the organisers' moves.

The machine is built from data: `STATES` and `TRANSITIONS` below are the whole truth,
and the tests walk every status x trigger pair of them. It runs on `transitions` with

- `auto_transitions=False`: no `to_<status>()` shortcuts that would bypass the table;
- `queued=False`: a trigger's result is known when it returns (with `queued=True` a
  trigger returns True even when a guard refused);
- `model_override=True`: the model class below declares every method the machine
  binds, so mypy sees the triggers and nothing is bound behind its back.

There are no state callbacks and none may be added that do I/O: the service persists
the new status (compare-and-set) and notifies people after `Lifecycle.fire` returns.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from typing import Final, NoReturn, TypedDict

from transitions import Machine

from ratmas.domain.errors import InvalidInput, InvalidTransition
from ratmas.domain.status import PHASE_ORDER, EventStatus, Phase


class Trigger(StrEnum):
    """A move of the lifecycle; the names avoid the model's own attributes."""

    START = "start"
    CLOSE_PURCHASES = "close_purchases"
    REVEAL = "reveal"
    ARCHIVE = "archive"
    CANCEL = "cancel"


class TransitionSpec(TypedDict, total=False):
    """One row of the table, in the shape `transitions.Machine` accepts."""

    trigger: str
    source: list[str]
    dest: str
    conditions: list[str]


STATES: Final[tuple[EventStatus, ...]] = tuple(EventStatus)

_LIVE: Final[list[str]] = [
    EventStatus.SCHEDULED,
    EventStatus.ACTIVE,
    EventStatus.PURCHASE_CLOSED,
    EventStatus.REVEALED,
]

# The guard names are methods of `_EventModel`; `_GUARD_REASONS` explains each refusal.
TRANSITIONS: Final[tuple[TransitionSpec, ...]] = (
    {
        "trigger": Trigger.START,
        "source": [EventStatus.SCHEDULED],
        "dest": EventStatus.ACTIVE,
        "conditions": ["has_enough_participants"],
    },
    {
        "trigger": Trigger.CLOSE_PURCHASES,
        "source": [EventStatus.ACTIVE],
        "dest": EventStatus.PURCHASE_CLOSED,
    },
    {
        "trigger": Trigger.REVEAL,
        "source": [EventStatus.PURCHASE_CLOSED],
        "dest": EventStatus.REVEALED,
    },
    {
        "trigger": Trigger.ARCHIVE,
        "source": [EventStatus.REVEALED],
        "dest": EventStatus.ARCHIVED,
    },
    {
        "trigger": Trigger.CANCEL,
        "source": _LIVE,
        "dest": EventStatus.CANCELLED,
    },
)

# `transitions` names Enum states by their `.name`: hand it plain strings.
_MACHINE_ROWS: Final[tuple[dict[str, object], ...]] = tuple(
    {
        "trigger": str(row["trigger"]),
        "source": [str(s) for s in row["source"]],
        "dest": str(row["dest"]),
        "conditions": list(row.get("conditions", [])),
    }
    for row in TRANSITIONS
)

PHASE_TRIGGERS: Final[Mapping[Phase, Trigger]] = {
    Phase.START: Trigger.START,
    Phase.PURCHASE_DEADLINE: Trigger.CLOSE_PURCHASES,
    Phase.REVEAL: Trigger.REVEAL,
}
"""The trigger that performs each dated phase."""


def _only_row(trigger: Trigger) -> TransitionSpec:
    rows = [row for row in TRANSITIONS if row["trigger"] == trigger]
    if len(rows) != 1 or len(rows[0]["source"]) != 1:  # pragma: no cover - a table edit
        raise AssertionError(f"the phase trigger {trigger} needs one row with one source")
    return rows[0]


_PHASE_SOURCES: Final[Mapping[Phase, EventStatus]] = {
    phase: EventStatus(_only_row(trigger)["source"][0]) for phase, trigger in PHASE_TRIGGERS.items()
}
_PHASE_TARGETS: Final[Mapping[Phase, EventStatus]] = {
    phase: EventStatus(_only_row(trigger)["dest"]) for phase, trigger in PHASE_TRIGGERS.items()
}


def phase_source(phase: Phase) -> EventStatus:
    """The status an event must be in for `phase` to be performed (from the table)."""
    return _PHASE_SOURCES[phase]


def phase_target(phase: Phase) -> EventStatus:
    """The status an event is in once `phase` was performed (from the table)."""
    return _PHASE_TARGETS[phase]


def waiting_for(status: EventStatus) -> Phase | None:
    """The phase an event in `status` waits for next; None once revealed or final."""
    for phase in PHASE_ORDER:
        if phase_source(phase) is status:
            return phase
    return None


def performed_phases(status: EventStatus) -> frozenset[Phase]:
    """The phases an event in `status` has already been through."""
    nxt = waiting_for(status)
    if nxt is None:
        return frozenset(PHASE_ORDER)
    return frozenset(PHASE_ORDER[: PHASE_ORDER.index(nxt)])


def _unbound(name: str) -> NoReturn:
    raise RuntimeError(f"{name} is bound by the lifecycle machine; this model was never added")


class _EventModel:
    """What the machine drives: the status plus the facts the guards look at.

    The trigger stubs exist for mypy; `model_override=True` replaces each of them with
    the machine's own function when the model is added.
    """

    state: str

    def __init__(self, participant_count: int, min_participants: int) -> None:
        self.participant_count = participant_count
        self.min_participants = min_participants

    # --- guards (pure) --------------------------------------------------------------
    def has_enough_participants(self) -> bool:
        return self.participant_count >= self.min_participants

    # --- bound by the machine -------------------------------------------------------
    def trigger(self, name: str) -> bool:
        _unbound("trigger")

    def may_trigger(self, name: str) -> bool:
        _unbound("may_trigger")

    def start(self) -> bool:
        _unbound("start")

    def may_start(self) -> bool:
        _unbound("may_start")

    def close_purchases(self) -> bool:
        _unbound("close_purchases")

    def may_close_purchases(self) -> bool:
        _unbound("may_close_purchases")

    def reveal(self) -> bool:
        _unbound("reveal")

    def may_reveal(self) -> bool:
        _unbound("may_reveal")

    def archive(self) -> bool:
        _unbound("archive")

    def may_archive(self) -> bool:
        _unbound("may_archive")

    def cancel(self) -> bool:
        _unbound("cancel")

    def may_cancel(self) -> bool:
        _unbound("may_cancel")

    def is_scheduled(self) -> bool:
        _unbound("is_scheduled")

    def is_active(self) -> bool:
        _unbound("is_active")

    def is_purchase_closed(self) -> bool:
        _unbound("is_purchase_closed")

    def is_revealed(self) -> bool:
        _unbound("is_revealed")

    def is_archived(self) -> bool:
        _unbound("is_archived")

    def is_cancelled(self) -> bool:
        _unbound("is_cancelled")


def _guard_reason(guard: str, model: _EventModel) -> str:
    if guard == "has_enough_participants":
        return (
            f"needs at least {model.min_participants} participants, has {model.participant_count}"
        )
    raise AssertionError(f"no explanation for guard {guard!r}")  # pragma: no cover


def _status(value: str) -> EventStatus:
    try:
        return EventStatus(value)
    except ValueError:
        known = ", ".join(STATES)
        raise InvalidInput("status", f"unknown status {value!r}; one of: {known}") from None


def _trigger(value: str) -> Trigger | None:
    try:
        return Trigger(value)
    except ValueError:
        return None


def allowed_moves(status: EventStatus | str) -> tuple[Trigger, ...]:
    """The triggers the table allows from `status`, in table order (guards not checked)."""
    current = _status(status)
    return tuple(Trigger(t["trigger"]) for t in TRANSITIONS if current in t["source"])


def target(status: EventStatus | str, trigger: Trigger | str) -> EventStatus | None:
    """Where `trigger` leads from `status` by the table, or None when it is not allowed."""
    current = _status(status)
    for row in TRANSITIONS:
        if row["trigger"] == trigger and current in row["source"]:
            return EventStatus(row["dest"])
    return None


def _describe(status: EventStatus) -> str:
    moves = allowed_moves(status)
    if not moves:
        return f"the event is {status}, which is final: no moves are allowed"
    return f"the event is {status}; allowed from {status}: {', '.join(moves)}"


class Lifecycle:
    """The state machine of one event, built fresh from the table.

    `Lifecycle(event.status, participant_count=n, min_participants=3).fire("start")`
    returns the new status or raises `InvalidTransition`; nothing is stored or sent.
    """

    def __init__(
        self,
        status: EventStatus | str,
        *,
        participant_count: int = 0,
        min_participants: int = 1,
    ) -> None:
        # `initial=` with an unknown name would silently add a state: check it first.
        initial = _status(status)
        if min_participants < 1:
            raise InvalidInput("min_participants", f"must be at least 1, got {min_participants}")
        if participant_count < 0:
            raise InvalidInput("participant_count", f"cannot be negative, got {participant_count}")
        self._model = _EventModel(participant_count, min_participants)
        self._machine = Machine(
            model=self._model,
            states=[str(s) for s in STATES],
            transitions=[dict(row) for row in _MACHINE_ROWS],
            initial=str(initial),
            auto_transitions=False,
            queued=False,
            model_override=True,
            send_event=False,
        )

    @property
    def status(self) -> EventStatus:
        return EventStatus(self._model.state)

    @property
    def participant_count(self) -> int:
        return self._model.participant_count

    @property
    def min_participants(self) -> int:
        return self._model.min_participants

    def allowed(self) -> tuple[Trigger, ...]:
        """The moves the table allows from the current status (guards not checked)."""
        return allowed_moves(self.status)

    def can(self, trigger: Trigger | str) -> bool:
        """Whether `fire(trigger)` would succeed now, guards included."""
        move = _trigger(trigger)
        return move is not None and bool(self._model.may_trigger(str(move)))

    def fire(self, trigger: Trigger | str) -> EventStatus:
        """Perform `trigger`; return the new status.

        `InvalidTransition` names the current status, the moves allowed from it and,
        when a guard refused, why. The status is unchanged after a refusal.
        """
        before = self.status
        move = _trigger(trigger)
        if move is None:
            raise InvalidTransition(f"Unknown move {str(trigger)!r}: {_describe(before)}.")
        if move not in allowed_moves(before):
            raise InvalidTransition(f"Cannot {move.value} now: {_describe(before)}.")
        if not self._model.may_trigger(str(move)):
            reasons = "; ".join(
                _guard_reason(guard, self._model)
                for row in TRANSITIONS
                if row["trigger"] == move and before in row["source"]
                for guard in row.get("conditions", [])
                if not getattr(self._model, guard)()
            )
            raise InvalidTransition(
                f"Cannot {move.value} now: {reasons} (the event stays {before}; "
                f"allowed from {before}: {', '.join(allowed_moves(before))})."
            )
        self._model.trigger(str(move))
        after = self.status
        # Not queued, so a True trigger has moved; this keeps it true if that changes.
        if after == before:  # pragma: no cover
            raise InvalidTransition(f"Cannot {move.value} now: {_describe(before)}.")
        return after
