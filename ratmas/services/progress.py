"""A DM blast's progress, as the managers see it while it runs.

`/ratmas status` shows a blast this process is running (`ProgressReporter.current`).
A blast that runs longer than `progress_after` seconds also keeps one message in the
event channel (no pings) up to date every `progress_every` seconds; the final summary
replaces it. The message is a courtesy: a refusal is logged and the blast goes on.

The blast itself is `ratmas.services.delivery`'s; this module only watches its tally.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator, Callable, Sequence
from typing import Final, Protocol

from ratmas.domain.model import Event
from ratmas.services import messages
from ratmas.services.errors import DeliveryError
from ratmas.services.ports import BlastProgress, Discord, Message, SentMessage

DEFAULT_PROGRESS_AFTER: Final = 10.0
DEFAULT_PROGRESS_EVERY: Final = 5.0


class Tally(Protocol):
    """Whom a running blast has handled so far (`delivery.Round`)."""

    @property
    def sent(self) -> Sequence[int]: ...

    @property
    def closed(self) -> Sequence[int]: ...

    @property
    def failed(self) -> Sequence[int]: ...


class ProgressReporter:
    """Shows the blasts of this process; see the module docstring."""

    def __init__(
        self,
        discord: Discord,
        *,
        progress_after: float = DEFAULT_PROGRESS_AFTER,
        progress_every: float = DEFAULT_PROGRESS_EVERY,
        monotonic: Callable[[], float] = time.monotonic,
        log: logging.Logger | None = None,
    ) -> None:
        self._discord = discord
        self._progress_after = progress_after
        self._progress_every = progress_every
        self._monotonic = monotonic
        self._log = log or logging.getLogger(__name__)
        self._running: dict[int, BlastProgress] = {}

    def current(self, event_id: int) -> BlastProgress | None:
        """The blast this process is running for the event right now, if any."""
        return self._running.get(event_id)

    @contextlib.asynccontextmanager
    async def shown(
        self, event: Event, tally: Tally, total: int, done: Callable[[], int]
    ) -> AsyncIterator[None]:
        """Report the blast of `total` DMs run inside the block (`done()` of them
        handled so far). Leaving the block normally replaces the progress message, if
        one was posted, by the final summary; an exception stops the reporting."""
        finished = asyncio.Event()
        reporter = asyncio.create_task(self._report(event, tally, total, done, finished))
        try:
            yield
        except BaseException:
            reporter.cancel()
            raise
        # Not cancelled: a progress post in flight completes and is then replaced.
        finished.set()
        try:
            posted = await reporter
        except Exception:  # the progress message is a courtesy: the blast's outcome stands
            self._log.warning("event %s: progress failed", event.id, exc_info=True)
            posted = None
        if posted is not None:
            await self._finish(event, posted, tally, total - done())

    def _snapshot(self, tally: Tally, remaining: int, started: float) -> BlastProgress:
        handled = len(tally.sent) + len(tally.closed) + len(tally.failed)
        elapsed = self._monotonic() - started
        eta = remaining * elapsed / handled if handled and elapsed > 0 else None
        return BlastProgress(
            sent=len(tally.sent),
            closed=len(tally.closed),
            failed=len(tally.failed),
            remaining=remaining,
            eta_seconds=eta,
        )

    async def _report(
        self,
        event: Event,
        tally: Tally,
        total: int,
        done: Callable[[], int],
        finished: asyncio.Event,
    ) -> SentMessage | None:
        """Keep `_running` current until `finished`; past `progress_after`, one edited
        channel message, which is returned (for the final summary to replace)."""
        started = self._monotonic()
        posted: SentMessage | None = None
        last_text = ""
        self._running[event.id] = self._snapshot(tally, total, started)

        async def pause(seconds: float) -> bool:
            """Wait unless the blast finishes first; whether it is still running."""
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(finished.wait(), seconds)
            return not finished.is_set()

        try:
            while await pause(min(1.0, self._progress_every)):
                snapshot = self._snapshot(tally, total - done(), started)
                self._running[event.id] = snapshot
                if event.announcement_channel_id is None:
                    continue
                if self._monotonic() - started < self._progress_after:
                    continue
                text = messages.blast_progress(snapshot)
                if text == last_text:
                    continue
                try:
                    if posted is None:
                        posted = await self._discord.post(
                            event.announcement_channel_id, Message(text)
                        )
                    else:
                        await self._discord.edit(
                            posted.channel_id, posted.message_id, Message(text)
                        )
                    last_text = text
                except DeliveryError as error:
                    self._log.info("event %s: progress not shown: %s", event.id, error)
                if not await pause(max(0.0, self._progress_every - 1.0)):
                    break
        finally:
            self._running.pop(event.id, None)
        return posted

    async def _finish(
        self, event: Event, posted: SentMessage, tally: Tally, remaining: int
    ) -> None:
        """The final summary replaces the progress message."""
        final = messages.blast_done(self._snapshot(tally, remaining, self._monotonic()))
        try:
            await self._discord.edit(posted.channel_id, posted.message_id, Message(final))
        except DeliveryError as error:
            self._log.info("event %s: progress not finished: %s", event.id, error)
