"""What one chat turn costs inside `salesbot run`, channel aside: the Telegram bench's searches
through the real router, in process, on SQLite with the demo company and 200 reps, on the
event loop `salesbot run` uses.

Wall-clock figures on a shared machine move by a third from one run to the next, so small
changes cannot be compared by them. With `--instructions` each workload runs again under
valgrind's callgrind, counting only the measured turns, with the work driven by the clock held
still (the search index's look for changed rows, the objection library's version check, the
loop's turn-taking in long transactions): millions of instructions a turn, the same to 0.1 %
from run to run. `/help` is the baseline of the same run: what every update costs before any
search (de-duplication, the sender, the transaction, the reply).

    .venv/bin/python bench/turn_cost.py [--turns 1400] [--instructions]
"""

from __future__ import annotations

import argparse
import gc
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT_ROOT))

import uvloop  # noqa: E402
from sqlalchemy import event  # noqa: E402

from bench.telegram_throughput import (  # noqa: E402
    FIRST_USER_ID,
    SEARCHES,
    USERS,
    callgrind,
    collected,
    seed,
)
from bot import app as app_module  # noqa: E402
from bot.config import Settings  # noqa: E402
from bot.messages import Incoming  # noqa: E402
from bot.services import objections  # noqa: E402
from storage import engine as engine_module  # noqa: E402

WORKLOADS = {"searches": SEARCHES, "help": ("/help",)}
WARM_UP = 200
ROUNDS = 3
CALLGRIND_TURNS = 70
"""Ten of each search: under callgrind a turn takes about 0.1 s."""


async def measure(workload: str, turns: int, *, under_callgrind: bool) -> None:
    texts = WORKLOADS[workload]
    with tempfile.TemporaryDirectory() as directory:
        database_url = f"sqlite+aiosqlite:///{Path(directory) / 'turns.db'}"
        await seed(database_url)
        app = app_module.App(Settings(_env_file=None, database_url=database_url))
        await app.start()
        statements = 0

        @event.listens_for(app.engine.sync_engine, "before_cursor_execute")
        def count(*_args: object) -> None:
            nonlocal statements
            statements += 1

        update_id = 0

        async def turn(n: int) -> None:
            nonlocal update_id
            update_id += 1
            chat = str(FIRST_USER_ID + n % USERS)
            text = texts[n % len(texts)]
            incoming = Incoming("telegram", chat, chat, update_id=str(update_id), text=text)
            await app.router.handle(incoming)

        for n in range(WARM_UP):
            await turn(n)
        gc.collect()
        gc.freeze()  # as `salesbot run` does (`bot.app.settled_heap`)
        if under_callgrind:
            hold_the_clock(app)
            callgrind("--instr=on", os.getpid())
            for n in range(turns):
                await turn(n)
            callgrind("--instr=off", os.getpid())
            print(f"turns {turns}")
        else:
            best = float("inf")
            statements = 0
            for _ in range(ROUNDS):
                started = time.perf_counter()
                for n in range(turns):
                    await turn(n)
                best = min(best, (time.perf_counter() - started) / turns)
            per_turn = statements / (turns * ROUNDS)
            print(f"{workload:10}{best * 1000:10.2f}{per_turn:13.1f}")
        await app.close()


def hold_the_clock(app: app_module.App) -> None:
    """Make what runs every few seconds run never, so a turn's count does not depend on how
    slowly callgrind ran it."""
    app.search._monotonic = lambda: float("-inf")  # no look for changed rows
    objections.monotonic = lambda: 0.0  # the library's version, read once already
    engine_module.SQLITE_LOOP_SLICE = float("inf")


def instructions(workload: str) -> float:
    """Millions of instructions per turn of a workload, counted by callgrind."""
    with tempfile.TemporaryDirectory() as directory:
        run = subprocess.run(
            [
                "valgrind",
                "--tool=callgrind",
                "--instr-atstart=no",
                f"--callgrind-out-file={Path(directory) / 'callgrind.out'}",
                sys.executable,
                __file__,
                "--workload",
                workload,
                "--under-callgrind",
            ],
            capture_output=True,
            text=True,
            env={**os.environ, "PYTHONHASHSEED": "0"},
            check=True,
        )
    turns = re.search(r"turns (\d+)", run.stdout)
    if turns is None:
        raise RuntimeError(f"no turns counted:\n{run.stdout[-2000:]}")
    return collected(run.stderr) / int(turns[1]) / 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--turns", type=int, default=1400)
    parser.add_argument("--instructions", action="store_true", help="count with callgrind")
    parser.add_argument("--workload", choices=WORKLOADS, help=argparse.SUPPRESS)
    parser.add_argument("--under-callgrind", action="store_true", help=argparse.SUPPRESS)
    arguments = parser.parse_args()
    if arguments.under_callgrind:
        uvloop.run(measure(arguments.workload, CALLGRIND_TURNS, under_callgrind=True))
    elif arguments.instructions:
        counts = {workload: instructions(workload) for workload in WORKLOADS}
        print(f"{'':10}{'M instructions/turn':>20}")
        for workload, count in counts.items():
            print(f"{workload:10}{count:20.3f}")
        print(f"a search above the baseline: {counts['searches'] - counts['help']:.3f} M")
    else:
        print(f"{'':10}{'ms/turn':>10}{'statements':>13}   (best of {ROUNDS} rounds)")
        for workload in WORKLOADS:
            uvloop.run(measure(workload, arguments.turns, under_callgrind=False))


if __name__ == "__main__":
    main()
