"""The real bot as a process of its own, for the crash test: `ratmas.app.serve` against
the sandbox the test started, on the database it names.

    python -m tests.e2e.crash_runner DATABASE_URL API_BASE TOKEN [NONCE_WINDOW_SECONDS]

A short safety tick and resume delay let a restarted process finish a blast its
killed predecessor left halfway; SIGTERM stops it cleanly. A short nonce window (this
process runs on the real clock) sends a restarted process to the DM channel's history.
"""

from __future__ import annotations

import asyncio
import logging
import signal
import sys

from ratmas.app import serve
from ratmas.config import DeliveryConfig, DiscordConfig, SchedulerConfig, Settings


async def main(database_url: str, api_base: str, token: str, nonce_window: int = 60) -> None:
    settings = Settings(
        source="<crash test>",
        database_url=database_url,
        discord=DiscordConfig(api_base_url=api_base),
        scheduler=SchedulerConfig(tick_seconds=1, resume_after_seconds=1),
        delivery=DeliveryConfig(
            dms_per_second=40, progress_after_seconds=3600, nonce_window_seconds=nonce_window
        ),
    )
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    await serve(settings, token, stop=stop, guild_ready_timeout=0.05)


if __name__ == "__main__":
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    database_url, api_base, token = sys.argv[1:4]
    window = int(sys.argv[4]) if len(sys.argv) > 4 else 60
    asyncio.run(main(database_url, api_base, token, window))
