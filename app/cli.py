"""The ``manager`` command: serve, worker, migrate, seed-catalog, demo, backup, restore, openapi.

A command that starts the embedded PostgreSQL stops it when it ends, also on SIGTERM or SIGINT.
"""

import asyncio
import json
import os
import signal
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import FrameType
from typing import Annotated

import typer
import uvicorn

from app.core.settings import Settings, get_settings

cli = typer.Typer(help="Manager API", no_args_is_help=True, add_completion=False)


def _database_url(settings: Settings) -> str:
    """The configured URL, or the embedded server's (stopped when this process exits)."""
    if settings.database_url:
        return settings.database_url
    from app.core.embedded import start_embedded_server

    url = start_embedded_server(settings.data_dir)
    os.environ["MANAGER_DATABASE_URL"] = url  # worker processes and the app join this server
    get_settings.cache_clear()
    return url


def _exit_on_signal(signum: int, frame: FrameType | None) -> None:
    raise SystemExit(0)


@contextmanager
def _database(settings: Settings) -> Iterator[str]:
    """The database URL for a command; an embedded server started here is stopped on leaving,
    after SIGTERM or SIGINT too (uvicorn and the worker drain first, then hand the signal on)."""
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, _exit_on_signal)
    try:
        yield _database_url(settings)
    finally:
        from app.core.embedded import stop_embedded_server

        stop_embedded_server(settings.data_dir)


def _refuse_unsafe_production(settings: Settings) -> None:
    problems = settings.problems_for_production() if settings.production else []
    if problems:
        for problem in problems:
            typer.echo(f"refusing to start in production: {problem}", err=True)
        raise typer.Exit(code=2)


@cli.command()
def serve(
    host: Annotated[
        str | None, typer.Option(help="Address to bind (default: MANAGER_HOST).")
    ] = None,
    port: Annotated[int | None, typer.Option(help="Port (default: MANAGER_PORT).")] = None,
    workers: Annotated[int, typer.Option(help="Worker processes.")] = 1,
) -> None:
    """Serve the API. Without MANAGER_DATABASE_URL: starts the embedded server and migrates it."""
    settings = get_settings()
    _refuse_unsafe_production(settings)
    embedded = settings.embedded
    first_start = embedded and not (settings.data_dir / "postgres").exists()
    with _database(settings) as url:
        if embedded:
            from app.core.migrations import upgrade

            upgrade(url)
        if first_start:
            typer.echo(f"{asyncio.run(_seed_catalog(url))} plans added to the billing catalog")
        in_process_worker = (
            settings.run_worker_in_process
            if settings.run_worker_in_process is not None
            else embedded
        )
        os.environ["MANAGER_RUN_WORKER_IN_PROCESS"] = "true" if in_process_worker else "false"
        get_settings.cache_clear()  # the app (in this process too) reads the setting just made
        uvicorn.run(
            "app.main:create_app",
            factory=True,
            host=host or settings.host,
            port=port or settings.port,
            workers=workers,
            access_log=False,
            log_config=None,
            proxy_headers=True,
            server_header=False,
            timeout_graceful_shutdown=settings.shutdown_grace_seconds,
        )


@cli.command()
def worker() -> None:
    """Run the outbox runner (mail, SMS, webhooks; woken by NOTIFY) and the periodic jobs, each
    its own task. Several workers may run."""
    from app.worker import run_forever

    settings = get_settings()
    _refuse_unsafe_production(settings)
    with _database(settings) as url:
        if settings.embedded:
            from app.core.migrations import upgrade

            upgrade(url)
        asyncio.run(run_forever(url, settings))


@cli.command()
def migrate(
    revision: Annotated[str, typer.Argument(help="Target revision.")] = "head",
) -> None:
    """Upgrade the configured database (or the embedded one) to a revision."""
    from app.core.migrations import upgrade

    with _database(get_settings()) as url:
        upgrade(url, revision)
    typer.echo(f"database at {revision}")


@cli.command("seed-catalog")
def seed_catalog() -> None:
    """Add the starting billing catalog (plans, prices, VAT rates); existing entries are kept."""
    with _database(get_settings()) as url:
        typer.echo(f"{asyncio.run(_seed_catalog(url))} plans added")


async def _seed_catalog(url: str) -> int:
    from app.billing.seed import seed_catalog as seed
    from app.core.db import Database

    database = Database.connect(url, pool_size=1, max_overflow=0)
    try:
        async with database.sessionmaker.begin() as session:
            return await seed(session)
    finally:
        await database.dispose()


@cli.command()
def demo() -> None:
    """Fill a fresh database with a coherent demo data set and print how to log in."""
    from rich.console import Console
    from rich.progress import Progress
    from rich.table import Table

    from app.demo import PASSWORD, STEPS, DemoFailed, run_demo

    settings = get_settings()
    if settings.production:
        typer.echo("refusing to fill a production database with demo data", err=True)
        raise typer.Exit(code=2)
    with _database(settings) as url:
        from app.core.migrations import upgrade

        upgrade(url)
        with Progress() as progress:
            task = progress.add_task("demo data", total=len(STEPS))

            def advance(step: str) -> None:
                progress.update(task, description=step, advance=0 if step == STEPS[0][0] else 1)

            try:
                personas = asyncio.run(run_demo(url, get_settings(), advance))
            except DemoFailed as failure:
                typer.echo(f"demo stopped: {failure}", err=True)
                raise typer.Exit(code=1) from None
            progress.update(task, description="done", completed=len(STEPS))
    table = Table(title=f"Log in as (every password: {PASSWORD})")
    for column in ("e-mail", "who"):
        table.add_column(column)
    for persona in personas:
        table.add_row(persona.email, persona.does)
    console = Console()
    console.print(table)
    console.print(
        'POST /v1/auth/login with {"email": …, "password": …}; '
        f"the API is at {settings.public_url} (`manager serve`)."
    )


@cli.command()
def backup(file: Annotated[Path, typer.Argument(help="The file to write.")]) -> None:
    """Dump the configured database (or the embedded one) into FILE (PostgreSQL custom format)."""
    from app.core.backups import BackupFailed
    from app.core.backups import backup as dump

    with _database(get_settings()) as url:
        try:
            dump(url, file)
        except BackupFailed as failure:
            typer.echo(f"backup failed: {failure}", err=True)
            raise typer.Exit(code=1) from failure
    typer.echo(f"backed up to {file}")


@cli.command()
def restore(
    file: Annotated[Path, typer.Argument(help="A file written by `manager backup`.")],
) -> None:
    """Restore FILE into the configured database (or the embedded one), in one transaction."""
    from app.core.backups import BackupFailed
    from app.core.backups import restore as load

    with _database(get_settings()) as url:
        try:
            load(url, file)
        except BackupFailed as failure:
            typer.echo(f"restore failed: {failure}", err=True)
            raise typer.Exit(code=1) from failure
    typer.echo(f"restored from {file}")


@cli.command()
def openapi(
    output: Annotated[Path, typer.Option(help="Where to write the document.")] = Path(
        "openapi/openapi.json"
    ),
    check: Annotated[
        bool, typer.Option(help="Fail if the file differs instead of writing.")
    ] = False,
) -> None:
    """Write the OpenAPI document the app generates."""
    from app.main import create_app

    document = json.dumps(create_app().openapi(), indent=2, ensure_ascii=False) + "\n"
    if check:
        if not output.exists() or output.read_text() != document:
            typer.echo(f"{output} is stale: run `manager openapi`", err=True)
            raise typer.Exit(code=1)
        return
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(document)
    typer.echo(f"wrote {output}")


def main() -> None:
    cli(sys.argv[1:])
