"""Webhooks: subscriptions, signed deliveries with retries, and the polling feed of events."""
