"""Domain events: written in the same transaction as the change they describe (the outbox)."""
