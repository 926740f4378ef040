"""``python -m drills [NAME ...]``: runs the drills named (all by default) one after the other and
prints one line per drill; exits 1 when any expectation failed or a drill could not run.

Rule: each drill is bounded by its own time limit here, whatever it does inside.
"""

import argparse
import asyncio
import importlib
import sys
import time
import traceback
import warnings

from drills.report import Outcome
from drills.scale import scale

DRILLS = {
    "restart": 300,
    "kill": 420,
    "exhaustion": 240,
    "replicas": 420,
    "pgbouncer": 1500,
    "soak": 1000,
    "backups": 600,
}
"""Each drill's module (``drills.<name>``) and its time limit in seconds (full scale)."""


async def run_one(name: str, limit: float) -> Outcome:
    outcome = Outcome(name)
    module = importlib.import_module(f"drills.{name}")
    started = time.monotonic()
    try:
        await asyncio.wait_for(module.run(outcome), timeout=limit)
    except TimeoutError:
        outcome.expect(False, f"stopped after its time limit of {limit:.0f} s")
    except Exception as error:  # the drill could not run: say why, go on with the others
        traceback.print_exc(file=sys.stderr)
        outcome.expect(False, f"could not run: {type(error).__name__}: {error}")
    outcome.figure(f"{time.monotonic() - started:.0f} s")
    return outcome


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*", choices=[*DRILLS, []], default=[])
    names = parser.parse_args().names or list(DRILLS)
    failed = False
    for name in names:
        outcome = asyncio.run(run_one(name, DRILLS[name]))
        print(outcome.line(), flush=True)
        failed |= not outcome.ok
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    warnings.filterwarnings("ignore", message=".*XDG_RUNTIME_DIR.*")
    print(f"drills at scale {scale().name}", file=sys.stderr)
    main()
