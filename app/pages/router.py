"""The pages behind the links in mails, for when no front-end is configured.

Each page explains what its link does and acts only when its button is pressed: the button calls
the same public API operation a front-end would (``POST`` with the link's token). A ``GET`` here
never changes anything, so mail scanners that prefetch links do no harm. The language is the
link's ``lang`` (the mail's language), else the browser's ``Accept-Language``, else English.
"""

import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import jinja2
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from app.core.routing import AppRoute
from app.pages.texts import TEXTS

DEFAULT_LANGUAGE = "en"
router = APIRouter(tags=["pages"], route_class=AppRoute, include_in_schema=False)


@dataclass(frozen=True)
class Input:
    name: str
    type: str = "text"
    required: bool = True
    autocomplete: str = "off"


@dataclass(frozen=True)
class LinkPage:
    """A page at ``path`` (where mails link) whose button posts ``fields`` and the link's token
    to ``endpoint``."""

    name: str
    path: str
    endpoint: str
    fields: tuple[Input, ...] = field(default=())


NEW_PASSWORD = Input("new_password", "password", autocomplete="new-password")
PAGES = (
    LinkPage("confirm_email", "/account/confirm-email", "/v1/account/email-confirmation"),
    LinkPage(
        "reset_password",
        "/account/reset-password",
        "/v1/password-resets/confirm",
        (NEW_PASSWORD, Input("code", "text", required=False, autocomplete="one-time-code")),
    ),
    LinkPage("unlock", "/account/unlock", "/v1/account/unlock"),
    LinkPage(
        "confirm_recovery_email",
        "/account/confirm-recovery-email",
        "/v1/account/recovery-email/confirm",
    ),
    LinkPage(
        "confirm_login_email", "/account/confirm-login-email", "/v1/account/login-email/confirm"
    ),
    LinkPage(
        "accept_invitation",
        "/invitations/accept",
        "/v1/invitations/accept-with-sign-up",
        (
            Input("first_name", autocomplete="given-name"),
            Input("last_name", autocomplete="family-name"),
            Input("password", "password", autocomplete="new-password"),
        ),
    ),
)


@lru_cache
def _environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(Path(__file__).parent / "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
    )


def page_language(request: Request) -> str:
    """The link's ``lang``, else the first supported language the browser accepts."""
    wanted = [request.query_params.get("lang", "")]
    wanted += [part.split(";")[0] for part in request.headers.get("accept-language", "").split(",")]
    for tag in wanted:
        primary = re.split(r"[-_]", tag.strip().lower(), maxsplit=1)[0]
        if primary in TEXTS:
            return primary
    return DEFAULT_LANGUAGE


def _render(template: str, request: Request, **context: object) -> HTMLResponse:
    language = page_language(request)
    html = (
        _environment()
        .get_template(template)
        .render(language=language, t=TEXTS[language], **context)
    )
    return HTMLResponse(
        html,
        headers={
            "Cache-Control": "no-store",
            "Referrer-Policy": "no-referrer",  # the token is in the page's address
            "Content-Security-Policy": "default-src 'self'; script-src 'unsafe-inline'; "
            "style-src 'unsafe-inline'; frame-ancestors 'none'",
        },
    )


def _route(page: LinkPage) -> None:
    async def show(request: Request) -> HTMLResponse:
        return _render("link.html", request, page=page)

    show.__name__ = page.name
    router.add_api_route(page.path, show, methods=["GET"], response_class=HTMLResponse)


for _page in PAGES:
    _route(_page)


@router.get("/shop/orders/{access_key}", response_class=HTMLResponse)
async def shop_order(access_key: str, request: Request) -> HTMLResponse:
    """The customer's order from its secret link (read through the shop API)."""
    return _render("order.html", request, access_key=access_key)


@router.get("/partner-invitations/accept", response_class=HTMLResponse)
async def partner_invitation(request: Request) -> HTMLResponse:
    """A partner's invitation: the client's legal representative logs in, chooses the
    organization, the partner's access and who pays, then accepts (the partnerships API)."""
    return _render("partner_invitation.html", request)
