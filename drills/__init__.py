"""Reliability drills: the real `manager serve` and `manager worker` processes, on loopback, under
outages, kills, exhaustion, replicas, PgBouncer, a long soak and a backup round trip.

The rule of every drill: nothing a client was told succeeded (a 2xx) is ever lost, nothing that
failed leaves half a change, the service answers 503 (never a 500, never a hang) while the database
cannot serve it, and it recovers by itself. Each drill makes its own database and temporary data
folder, is bounded in time, stops every process it started, prints one summary line and fails
(exit status 1) when an expectation does not hold. Run them with ``make drills``.
"""
