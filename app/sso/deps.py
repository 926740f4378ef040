"""The DNS resolver that proves domains (``app.state.dns_resolver``, replaceable in tests)."""

from typing import Annotated

from fastapi import Depends, Request

from app.sso.dns import TxtResolver


async def dns_resolver(request: Request) -> TxtResolver:
    resolver: TxtResolver = request.app.state.dns_resolver
    return resolver


Resolver = Annotated[TxtResolver, Depends(dns_resolver)]
