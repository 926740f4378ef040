"""The OpenAPI document tells the truth: a client generated from it drives the real service.

The client is generated with openapi-python-client into a temporary folder, imported, and used
against the app served by uvicorn on a free loopback port (on the test database): sign up,
confirm the e-mail from the mail's link, log in, read the account, open a ticket office, sell an
order, and find its ``order.created`` event in the polling feed.
"""

import importlib
import json
import shutil
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from types import ModuleType
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import uvicorn

from app.core import clock
from app.core.db import Database
from app.core.settings import Settings
from app.main import create_app
from tests.mail import Mailbox

ROOT = Path(__file__).resolve().parents[2]
CONFIG = ROOT / ".ci" / "openapi-python-client.yml"
PACKAGE = "manager_api_client"


def _generator() -> str | None:
    beside_python = Path(sys.executable).parent / "openapi-python-client"
    return str(beside_python) if beside_python.exists() else shutil.which("openapi-python-client")


@pytest.fixture(scope="module")
def generated_client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ModuleType]:
    generator = _generator()
    if generator is None:
        pytest.skip("openapi-python-client is not installed")
    folder = tmp_path_factory.mktemp("client")
    document = folder / "openapi.json"
    document.write_text(json.dumps(create_app().openapi()))
    completed = subprocess.run(  # noqa: S603 - our own generator on our own document
        [
            generator,
            "generate",
            "--path",
            str(document),
            "--config",
            str(CONFIG),
            "--meta",
            "none",
            "--fail-on-warning",
            "--output-path",
            str(folder / PACKAGE),
        ],
        capture_output=True,
        text=True,
        check=False,
        env={"PATH": f"{Path(sys.executable).parent}:/usr/bin:/bin"},
    )
    assert completed.returncode == 0, completed.stdout + completed.stderr
    sys.path.insert(0, str(folder))
    try:
        yield importlib.import_module(PACKAGE)
    finally:
        sys.path.remove(str(folder))
        for name in [name for name in sys.modules if name.split(".")[0] == PACKAGE]:
            del sys.modules[name]


@pytest.fixture
def served(settings: Settings, committed_db: Database) -> Iterator[str]:
    """The app on a free 127.0.0.1 port, with its own pool on the test database (which
    ``committed_db`` empties afterwards)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = uvicorn.Server(
        uvicorn.Config(create_app(settings), host="127.0.0.1", port=port, log_level="warning")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    for _ in range(200):
        if server.started:
            break
        threading.Event().wait(0.05)
    assert server.started, "the server did not start"
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)


def _api(name: str) -> Any:
    tag = name.split("_", 1)[0]
    return importlib.import_module(f"{PACKAGE}.api.{tag}.{name}")


def _model(name: str) -> Any:
    return getattr(importlib.import_module(f"{PACKAGE}.models"), name)


def _ok(response: Any, status: int) -> Any:
    assert response.status_code == status, response.content
    return response.parsed


async def test_the_generated_client_signs_up_logs_in_and_sells_an_order(
    generated_client: ModuleType,
    served: str,
    committed_db: Database,
    mailbox: Mailbox,
) -> None:
    anonymous = generated_client.Client(base_url=served, raise_on_unexpected_status=True)
    email = "integrator@example.org"
    password = "correct horse battery staple"

    account = _ok(
        await _api("accounts_sign_up").asyncio_detailed(
            client=anonymous,
            body=_model("SignUp").from_dict(
                {
                    "first_name": "Ada",
                    "last_name": "Lovelace",
                    "email": email,
                    "password": password,
                    "language": "en",
                    "address": {
                        "line1": "Rue du Rhône 1",
                        "postal_code": "1204",
                        "city": "Genève",
                        "country": "CH",
                    },
                }
            ),
        ),
        202,
    )
    assert account.email == email
    await mailbox.deliver(committed_db.sessionmaker)
    link = mailbox.link_to(email, "token=")
    token = parse_qs(urlsplit(link).query)["token"][0]
    _ok(
        await _api("accounts_confirm_email").asyncio_detailed(
            client=anonymous, body=_model("TokenBody").from_dict({"token": token})
        ),
        204,
    )

    login = _ok(
        await _api("auth_login").asyncio_detailed(
            client=anonymous,
            body=_model("Login").from_dict({"email": email, "password": password}),
        ),
        200,
    )
    assert login.status.value == "authenticated"
    client = generated_client.AuthenticatedClient(
        base_url=served, token=login.tokens.access_token, raise_on_unexpected_status=True
    )
    me = _ok(await _api("accounts_read").asyncio_detailed(client=client), 200)
    assert me.email == email
    [organization] = _ok(await _api("organizations_list").asyncio_detailed(client=client), 200).data
    organization_id = organization.id

    office = _ok(
        await _api("ticketing_create_office").asyncio_detailed(
            organization_id,
            client=client,
            body=_model("TicketOfficeCreate").from_dict({"name": "Théâtre du Lac"}),
        ),
        201,
    )
    starts = clock.now() + timedelta(days=30)
    event = _ok(
        await _api("ticketing_create_event").asyncio_detailed(
            organization_id,
            office.id,
            client=client,
            body=_model("EventCreate").from_dict(
                {
                    "name": "La Flûte enchantée",
                    "performances": [
                        {
                            "starts_at": starts.isoformat(),
                            "ends_at": (starts + timedelta(hours=3)).isoformat(),
                            "venue": "Grande salle",
                            "capacity": 100,
                        }
                    ],
                    "price_categories": [{"name": "Zone 1", "price_minor": 5000}],
                }
            ),
        ),
        201,
    )
    order = _ok(
        await _api("ticketing_sell").asyncio_detailed(
            organization_id,
            office.id,
            event.id,
            client=client,
            body=_model("BoxOfficeOrderCreate").from_dict(
                {
                    "customer": {"name": "Jeanne Dupont", "email": "jeanne@example.ch"},
                    "tickets": [
                        {
                            "performance_id": str(event.performances[0].id),
                            "price_category_id": str(event.price_categories[0].id),
                            "quantity": 2,
                        }
                    ],
                    "payment_method": "cash",
                }
            ),
        ),
        201,
    )
    assert order.total_minor >= 2 * 5000
    assert len(order.tickets) == 2

    feed = _ok(
        await _api("webhooks_list_events").asyncio_detailed(
            organization_id, client=client, type_=["order.*"]
        ),
        200,
    )
    assert [event.type_ for event in feed.data][-1] == "order.created"
    assert feed.data[-1].data.id == order.id  # the payload is typed: the REST order schema
    await client.get_async_httpx_client().aclose()
    await anonymous.get_async_httpx_client().aclose()
