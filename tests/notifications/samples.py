"""Dummy context values for any catalog template."""

from typing import Any

from app.notifications.catalog import TEMPLATES


def sample_value(key: str) -> str:
    """A value easy to find in a rendered mail: a URL for ``*_url`` keys, a word otherwise."""
    if key.endswith("_url"):
        return f"https://console.example.test/{key.removesuffix('_url')}/abc123"
    return f"sample-{key}"


def sample_context(template: str, **overrides: Any) -> dict[str, Any]:
    """Every catalog variable of ``template`` with a sample value, then ``overrides``."""
    return {key: sample_value(key) for key in TEMPLATES[template]} | overrides
