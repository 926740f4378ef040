"""Finds a request's route among the few that can match its path, not among all of them.

Starlette tries every route's pattern in turn until one matches: with some 350 routes, a request
late in the table pays a few hundred regular expressions. The index keeps the table and its order
(the first full match wins, the first partial one answers a 405) and only narrows where to look:
routes are filed in a tree by their path's segments, a literal segment under its text and a
``{parameter}`` segment under a wildcard; a path walks the tree and gets, in table order, the
routes whose segments can be its own. A route the tree cannot file (a ``{name:path}`` parameter,
a segment mixing text and parameter, no path at all) is a candidate for every request, so the
answer is always the one Starlette would give.
"""

import re
from dataclasses import dataclass, field

from starlette._utils import get_route_path
from starlette.routing import BaseRoute, Match, Router
from starlette.types import Receive, Scope, Send

_PARAMETER = re.compile(r"^\{[A-Za-z_][A-Za-z0-9_]*(:(str|int|float|uuid))?\}$")
"""One segment: a parameter of its own, of a convertor that never matches a slash or nothing."""
_WILDCARD = "{}"


@dataclass
class _Node:
    children: dict[str, "_Node"] = field(default_factory=dict)
    ending: list[int] = field(default_factory=list)
    """The positions of the routes whose path ends at this node."""


def _segments(route: BaseRoute) -> list[str] | None:
    """The route's path as tree keys, or None when the tree cannot file it."""
    path = getattr(route, "path", None)
    if not isinstance(path, str) or not path.startswith("/") or not hasattr(route, "methods"):
        return None
    keys = []
    for segment in path[1:].split("/"):
        if "{" not in segment:
            keys.append(segment)
        elif _PARAMETER.match(segment):
            keys.append(_WILDCARD)
        else:
            return None
    return keys


class RouteIndex:
    """The router's dispatch, through the index (module docstring); rebuilt when routes change."""

    def __init__(self, router: Router) -> None:
        self.router = router
        self._built_for: list[BaseRoute] = []
        self._built_count = -1
        self._root = _Node()
        self._everywhere: list[int] = []

    def _build(self) -> None:
        routes = list(self.router.routes)
        root, everywhere = _Node(), []
        for position, route in enumerate(routes):
            keys = _segments(route)
            if keys is None:
                everywhere.append(position)
                continue
            node = root
            for key in keys:
                node = node.children.setdefault(key, _Node())
            node.ending.append(position)
        self._root, self._everywhere, self._built_for = root, everywhere, routes
        self._built_count = len(routes)

    def candidates(self, path: str) -> list[BaseRoute]:
        """The routes that may match ``path``, in table order."""
        if self._built_count != len(self.router.routes):  # routes are only ever appended
            self._build()
        segments = path[1:].split("/") if path.startswith("/") else None
        found = list(self._everywhere)
        if segments is not None:
            self._collect(self._root, segments, 0, found)
        if len(found) > 1:
            found.sort()
        return [self._built_for[position] for position in found]

    def _collect(self, node: _Node, segments: list[str], depth: int, found: list[int]) -> None:
        if depth == len(segments):
            found.extend(node.ending)
            return
        segment = segments[depth]
        literal = node.children.get(segment)
        if literal is not None:
            self._collect(literal, segments, depth + 1, found)
        wildcard = node.children.get(_WILDCARD)
        if wildcard is not None and segment:
            self._collect(wildcard, segments, depth + 1, found)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        router = self.router
        if scope["type"] != "http" or router.redirect_slashes:
            await router.app(scope, receive, send)
            return
        scope.setdefault("router", router)
        partial = partial_scope = None
        for route in self.candidates(get_route_path(scope)):
            match, child_scope = route.matches(scope)
            if match is Match.FULL:
                scope["route"] = route
                scope.update(child_scope)
                await route.handle(scope, receive, send)
                return
            if match is Match.PARTIAL and partial is None:
                partial, partial_scope = route, child_scope
        if partial is not None and partial_scope is not None:
            scope["route"] = partial
            scope.update(partial_scope)
            await partial.handle(scope, receive, send)
            return
        await router.default(scope, receive, send)


def install(router: Router) -> None:
    """Dispatches ``router``'s requests through a ``RouteIndex``."""
    router.middleware_stack = RouteIndex(router)
