"""Drill ``kill``: `manager serve` killed with SIGKILL (its whole process group) in the middle of
order placement and payments, then started again (the last one stays dead).

Rule: afterwards every row is whole (the invariants: seats sold = valid tickets, every order with
its tickets and its invoice, every paid invoice with its payment, ledger sum = balance), and every
acknowledged order and payment is in the database; the other replica never answers an error.
"""

import asyncio
import tempfile
from pathlib import Path

from bench.ticketing import Server, service_command
from drills.database import check_invariants, scratch
from drills.load import Load, acknowledged_in_database, seed_shop
from drills.processes import Fleet, kill_group, processes_mentioning, ready, service_env
from drills.report import Outcome
from drills.scale import scale


async def run(outcome: Outcome) -> None:
    steps = scale()
    with tempfile.TemporaryDirectory(prefix="drill-kill-") as folder:
        root = Path(folder)
        fleet = Fleet()
        try:
            async with scratch("manager_drill_kill") as url:
                env = service_env(url, root / "data")
                a = fleet.service("serve-a", env, root)
                b = fleet.service("serve-b", env, root)
                await ready(a, b)
                shop = await seed_shop(a.url, url)
                load = Load([a.url, b.url], shop, killed=True)
                phase = steps.kill_load
                running = asyncio.create_task(load.run(phase * (steps.kills + 1) + 300))
                victims = [a, b]
                for kill in range(steps.kills):
                    await asyncio.sleep(phase)
                    victim = victims[kill % 2]
                    kill_group(victim.process.pid)
                    await asyncio.to_thread(victim.process.wait, 10)
                    if kill < steps.kills - 1:  # started again; the last one stays dead
                        name = f"{victim.name}-{kill + 1}"
                        command = service_command(victim.port, 1)
                        victims[kill % 2] = Server(name, command, env, root / f"{name}.log")
                        fleet.add(victims[kill % 2])
                        await ready(victims[kill % 2])
                await asyncio.sleep(phase)
                load.stop.set()
                tally = await running
                missing = await acknowledged_in_database(url, tally)
                check = await check_invariants(url)
        finally:
            leftovers = fleet.stop_all()
            leftovers += [f"pid {pid}" for pid in processes_mentioning(folder)]
    outcome.figure(f"{tally.requests} requests")
    outcome.figure(f"{len(tally.errors)} errors")
    outcome.figure(f"{steps.kills} kills -9, {tally.lost} requests cut off or refused")
    outcome.figure(f"{len(tally.orders)} orders and {len(tally.paid)} payments acknowledged")
    outcome.figure(f"{check.rows} rows checked")
    outcome.expect(not tally.errors, f"errors: {tally.errors[:3]}")
    outcome.expect(tally.lost > 0, "no request was cut off by the kills")
    outcome.expect(not missing, "; ".join(missing))
    outcome.expect(not check.broken, "; ".join(check.broken))
    outcome.expect(not leftovers, f"left running: {leftovers}")
