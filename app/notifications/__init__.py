"""E-mail: rendered in the recipient's language, sent by the worker from an outbox."""
