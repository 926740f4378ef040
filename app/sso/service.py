"""What other packages may call about single sign-on: the password-login check that
``app.main`` registers with the accounts package."""

from app.sso.login import password_login_refusal

__all__ = ["password_login_refusal"]
