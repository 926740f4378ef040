"""Shared mechanisms every domain uses; imports no domain package."""
