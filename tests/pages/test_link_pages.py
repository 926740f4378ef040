"""The links in mails open the service's own pages in a real browser (headless Chromium):
each page is in the mail's language, changes nothing when opened, and acts on its button."""

import asyncio
import os
import shutil
import socket
import uuid
from collections.abc import AsyncIterator
from urllib.parse import urlsplit, urlunsplit

import httpx
import pytest
import uvicorn
from playwright.async_api import Browser, Page, async_playwright, expect

from app.core.db import Database
from app.core.settings import Settings
from app.main import create_app
from app.organizations.types import ProductType
from app.pages.router import PAGES
from tests.factories import PASSWORD, log_in, sign_up, signed_in_user
from tests.mail import Mailbox
from tests.organizations.helpers import add_product, set_organization

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
# CI installs Debian's chromium (.ci/run): there the browser tests never skip.
needs_chromium = pytest.mark.skipif(
    CHROMIUM is None and not os.environ.get("CI"), reason="Debian's chromium is not installed"
)


@pytest.fixture
async def served(settings: Settings, db: Database) -> AsyncIterator[str]:
    """The app on a free loopback port, in the test's event loop and transaction."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = uvicorn.Server(
        uvicorn.Config(
            create_app(settings, database=db), host="127.0.0.1", port=port, log_level="warning"
        )
    )
    task = asyncio.create_task(server.serve())
    while not server.started:
        assert not task.done(), "the server did not start"
        await asyncio.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    await task


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, headless=True)
        yield browser
        await browser.close()


def _on(served: str, link: str) -> str:
    """The mailed link, on the test's server."""
    parts = urlsplit(link)
    return urlunsplit(parts._replace(scheme="http", netloc=urlsplit(served).netloc))


async def _open_mailed_link(
    browser: Browser, mailbox: Mailbox, db: Database, served: str, email: str, path: str
) -> tuple[Page, str]:
    await mailbox.deliver(db.sessionmaker)
    link = mailbox.link_to(email, path)
    page = await browser.new_page()
    await page.goto(_on(served, link))
    return page, link


@needs_chromium
async def test_confirm_email_link_opens_a_page_in_the_mail_language_that_confirms_on_its_button(
    served: str, browser: Browser, mailbox: Mailbox, db: Database
) -> None:
    async with httpx.AsyncClient(base_url=served) as client:
        account = await sign_up(client, language="fr", database=db)
        page, link = await _open_mailed_link(
            browser, mailbox, db, served, account["email"], "/account/confirm-email"
        )
        assert "lang=fr" in link
        await expect(page.locator("h1")).to_have_text("Confirmez votre adresse e-mail")
        assert await page.get_attribute("html", "lang") == "fr"

        tokens = (await log_in(client, account["email"])).json()["tokens"]
        headers = {"Authorization": f"Bearer {tokens['access_token']}"}
        me = await client.get("/v1/account", headers=headers)
        assert me.json()["code"] == "email_not_confirmed", "opening the link changes nothing"

        await page.get_by_role("button", name="Confirmer mon adresse").click()
        await expect(page.locator("#result")).to_have_text(
            "Votre adresse e-mail est confirmée. Vous pouvez fermer cette page."
        )
        me = (await client.get("/v1/account", headers=headers)).json()
        assert me["email_confirmed"] is True

        await page.reload()
        await page.get_by_role("button").click()
        await expect(page.locator("#result")).to_contain_text("(invalid_or_expired_token)")


@needs_chromium
async def test_reset_password_link_sets_the_new_password_from_the_page(
    served: str, browser: Browser, mailbox: Mailbox, db: Database
) -> None:
    async with httpx.AsyncClient(base_url=served) as client:
        account = await sign_up(client, language="de", database=db)
        await client.post("/v1/password-resets", json={"email": account["email"]})
        page, _ = await _open_mailed_link(
            browser, mailbox, db, served, account["email"], "/account/reset-password"
        )
        await expect(page.locator("h1")).to_have_text("Wählen Sie ein neues Passwort")
        await page.get_by_label("Neues Passwort").fill("short")
        await page.get_by_role("button", name="Neues Passwort speichern").click()
        await expect(page.locator("#result")).to_contain_text("Das hat nicht geklappt:")
        assert (await log_in(client, account["email"])).status_code == 200

        new_password = f"a new one {uuid.uuid4().hex[:8]} indeed"
        await page.get_by_label("Neues Passwort").fill(new_password)
        await page.get_by_role("button", name="Neues Passwort speichern").click()
        await expect(page.locator("#result")).to_have_text(
            "Ihr Passwort ist geändert. Melden Sie sich damit an."
        )
        assert (await log_in(client, account["email"], PASSWORD)).status_code == 401
        assert (await log_in(client, account["email"], new_password)).status_code == 200


@needs_chromium
async def test_a_link_page_without_its_token_says_so(served: str, browser: Browser) -> None:
    page = await browser.new_page(locale="it-CH")
    await page.goto(f"{served}/account/unlock")
    await expect(page.locator("h1")).to_have_text("Sblocca il tuo account")
    await expect(page.locator("#result")).to_have_text(
        "Questo link è incompleto: aprilo di nuovo dall'e-mail."
    )


@pytest.mark.parametrize("language", ["fr", "en", "de", "it", "es"])
async def test_every_mailed_path_has_a_page_in_every_language(
    client: httpx.AsyncClient, language: str
) -> None:
    paths = [page.path for page in PAGES] + [
        "/shop/orders/some-access-key",
        "/partner-invitations/accept",
    ]
    for path in paths:
        response = await client.get(f"{path}?lang={language}&token=x")
        assert response.status_code == 200, path
        assert response.headers["content-type"].startswith("text/html")
        assert f'<html lang="{language}">' in response.text
        assert response.headers["cache-control"] == "no-store"


@needs_chromium
async def test_partner_invitation_link_lets_the_client_choose_the_access_and_accept(
    served: str, browser: Browser, mailbox: Mailbox, db: Database
) -> None:
    async with httpx.AsyncClient(base_url=served) as client:
        partner = await signed_in_user(client, db)
        await set_organization(db, partner.organization_id, is_partner=True)
        client_legal = await signed_in_user(client, db, language="fr")
        site = await add_product(db, client_legal.organization_id, ProductType.web_hosting, "Site")
        await add_product(db, client_legal.organization_id, ProductType.mail_service, "Mail")
        invited = await client.post(
            f"/v1/organizations/{partner.organization_id}/partner-invitations",
            json={"email": client_legal.email, "client_name": "Boulangerie"},
            headers=partner.headers,
        )
        assert invited.status_code == 201, invited.text
        page, link = await _open_mailed_link(
            browser, mailbox, db, served, client_legal.email, "/partner-invitations/accept"
        )
        assert "lang=fr" in link
        await expect(page.locator("h1")).to_have_text("Confier votre organisation à un partenaire")

        await page.get_by_label("E-mail").fill(client_legal.email)
        await page.get_by_label("Mot de passe").fill("not the password at all")
        await page.get_by_role("button", name="Me connecter").click()
        await expect(page.locator("#result")).to_contain_text("(invalid_credentials)")
        await page.get_by_label("Mot de passe").fill(client_legal.password)
        await page.get_by_role("button", name="Me connecter").click()
        await page.get_by_label("Limité : seulement les produits cochés ci-dessous").check()
        await page.get_by_label("Site").check()
        await page.get_by_label("Qui paie les factures").select_option("partner_pays")
        partnerships = f"/v1/organizations/{client_legal.organization_id}/partnerships"
        before = await client.get(partnerships, headers=client_legal.headers)
        assert before.json()["data"] == [], "opening the link and logging in accept nothing"

        await page.get_by_role("button", name="Accepter l'invitation").click()
        await expect(page.locator("#result")).to_contain_text("Le partenaire gère désormais")
        [partnership] = (await client.get(partnerships, headers=client_legal.headers)).json()[
            "data"
        ]
        assert partnership["partner_organization_id"] == str(partner.organization_id)
        assert partnership["access_type"] == "limited"
        assert partnership["product_ids"] == [str(site.id)]
        assert partnership["payment_mode"] == "partner_pays"


@needs_chromium
async def test_an_existing_account_logs_in_on_the_invitation_page_and_joins(
    served: str, browser: Browser, mailbox: Mailbox, db: Database
) -> None:
    async with httpx.AsyncClient(base_url=served) as client:
        host = await signed_in_user(client, db)
        guest = await signed_in_user(client, db)
        invited = await client.post(
            f"/v1/organizations/{host.organization_id}/invitations",
            json={"email": guest.email, "role": "collaborator"},
            headers=host.headers,
        )
        assert invited.status_code == 201, invited.text
        page, _ = await _open_mailed_link(
            browser, mailbox, db, served, guest.email, "/invitations/accept"
        )
        await page.locator("#login").get_by_label("E-mail").fill(guest.email)
        await page.locator("#login").get_by_label("Password").fill(guest.password)
        await page.get_by_role("button", name="Log in and join").click()
        await expect(page.locator("#result")).to_have_text(
            "You have joined the organization. You can log in now."
        )
        mine = (await client.get("/v1/organizations", headers=guest.headers)).json()["data"]
        assert {o["id"]: o["role"] for o in mine}[str(host.organization_id)] == "collaborator"
