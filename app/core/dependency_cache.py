"""A dependency already solved for the request is taken from the request's cache at once.

FastAPI solves a dependency's own dependencies first and only then looks whether the dependency
is in the request's cache: a dependency used by several others (the caller, under the
organization's access, under the office's) has its whole subtree walked again each time, its
parameters read and validated again, only for the cached value to be taken in the end. This
looks first. The outcome is the same: a dependency is cached only once solved without errors,
together with everything below it, and the values of its subtree are only ever used to call it.
"""

from typing import Any

from fastapi.dependencies import utils
from fastapi.dependencies.models import Dependant

_solve = utils.solve_dependencies


async def _solve_unless_cached(
    *,
    dependant: Dependant,
    dependency_cache: dict[Any, Any] | None = None,
    background_tasks: Any = None,
    response: Any = None,
    **arguments: Any,
) -> utils.SolvedDependency:
    if (
        dependency_cache
        and response is not None
        and dependant.use_cache
        and dependant.cache_key in dependency_cache
    ):
        return utils.SolvedDependency(
            values={},
            errors=[],
            background_tasks=background_tasks,
            response=response,
            dependency_cache=dependency_cache,
        )
    return await _solve(
        dependant=dependant,
        dependency_cache=dependency_cache,
        background_tasks=background_tasks,
        response=response,
        **arguments,
    )


def install() -> None:
    """Makes FastAPI's recursive solving look in the cache first (the module docstring)."""
    utils.solve_dependencies = _solve_unless_cached
