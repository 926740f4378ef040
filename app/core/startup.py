"""What a long-running process (a server worker, a job worker) does once it has started.

Startup makes some 800,000 objects (modules, routes, schemas, mapped classes) that live as long
as the process. Python's collector walks all of them in each full collection: on 2 cores, a pause
of 150 to 350 ms in the middle of whatever requests are running, the service's slowest answers.
Frozen once started, they are out of the collector's sight; what requests create is collected as
before.
"""

import gc


def freeze_startup_objects() -> None:
    """Collects what startup left as garbage, then freezes the rest (module docstring)."""
    gc.collect()
    gc.freeze()
