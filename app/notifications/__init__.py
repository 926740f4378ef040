"""E-mail: rendered from templates in the recipient's language, sent by the worker from an outbox."""
