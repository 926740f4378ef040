"""Security primitives: password hashing, signed tokens, encryption at rest, random secrets."""
