"""How long each drill runs: ``full`` (``make drills``) or ``short`` (CI), from ``DRILL_SCALE``.

Rule: every duration a drill uses comes from here, so one setting bounds the whole run.
"""

import os
from dataclasses import dataclass


@dataclass(frozen=True)
class Scale:
    name: str
    before_outage: float
    outage: float
    after_outage: float
    kill_load: float
    kills: int
    soak: float
    soak_warmup: float
    journeys: int


FULL = Scale("full", 15, 10, 20, 20, 3, 600, 60, 4)
SHORT = Scale("short", 6, 10, 10, 8, 2, 60, 15, 2)


def scale() -> Scale:
    return SHORT if os.environ.get("DRILL_SCALE", "full") == "short" else FULL
