"""The ``manager`` command: serve, worker, migrate, openapi."""

import asyncio
import json
import os
import sys
from pathlib import Path
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
    url = _database_url(settings)
    if embedded:
        from app.core.migrations import upgrade

        upgrade(url)
    in_process_worker = (
        settings.run_worker_in_process if settings.run_worker_in_process is not None else embedded
    )
    os.environ["MANAGER_RUN_WORKER_IN_PROCESS"] = "true" if in_process_worker else "false"
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
    )


@cli.command()
def worker() -> None:
    """Run the outbox runner (mail, SMS, webhooks; woken by NOTIFY) and the periodic jobs, each
    its own task. Several workers may run."""
    from app.worker import run_forever

    settings = get_settings()
    _refuse_unsafe_production(settings)
    url = _database_url(settings)
    asyncio.run(run_forever(url, settings))


@cli.command()
def migrate(
    revision: Annotated[str, typer.Argument(help="Target revision.")] = "head",
) -> None:
    """Upgrade the configured database (or the embedded one) to a revision."""
    from app.core.migrations import upgrade

    upgrade(_database_url(get_settings()), revision)
    typer.echo(f"database at {revision}")


@cli.command("seed-catalog")
def seed_catalog() -> None:
    """Add the starting billing catalog (plans, prices, VAT rates); existing entries are kept."""
    import asyncio

    from app.billing.seed import seed_catalog as seed
    from app.core.db import Database

    async def run() -> int:
        database = Database.connect(_database_url(get_settings()), pool_size=1, max_overflow=0)
        try:
            async with database.sessionmaker.begin() as session:
                return await seed(session)
        finally:
            await database.dispose()

    typer.echo(f"{asyncio.run(run())} plans added")


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
