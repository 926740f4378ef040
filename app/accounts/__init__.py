"""Accounts: sign-up, login with password and TOTP, sessions, recovery, profile, access tokens."""
