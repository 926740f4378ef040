"""Configuration from the environment (prefix ``MANAGER_``) and an optional ``.env`` file."""

import re
from functools import lru_cache
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

_ORIGIN = re.compile(r"^https?://[A-Za-z0-9.\-\[\]:]+$")
EXAMPLE_SECRET = "change-me-in-production"  # noqa: S105 - the value production refuses


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="MANAGER_", env_file=".env", extra="ignore")

    environment: Literal["development", "test", "production"] = "development"
    database_url: str | None = Field(
        default=None,
        description="PostgreSQL URL; unset starts the embedded server in data_dir.",
    )
    data_dir: Path = Path(".data")
    host: str = "127.0.0.1"
    port: int = 8000
    public_url: str = "http://127.0.0.1:8000"
    secret_key: SecretStr = SecretStr(EXAMPLE_SECRET)
    log_level: str = "INFO"
    log_json: bool = True
    max_body_bytes: int = 2 * 1024 * 1024
    db_pool_size: int = 10
    db_max_overflow: int = 10
    db_pool_timeout_seconds: float = Field(
        default=2.0, description="Longest wait for a pooled connection before answering 503."
    )
    db_statement_timeout_ms: int = Field(
        default=30_000, description="PostgreSQL statement_timeout of the service's connections."
    )
    db_transaction_pooler: bool = Field(
        default=False,
        description="A pool in transaction mode (PgBouncer) sits in front of PostgreSQL.",
    )
    idempotency_ttl_hours: int = 24
    worker_poll_seconds: float = 1.0
    frontend_url: str | None = Field(
        default=None,
        description="Base of the links in e-mails (front-end pages); default public_url.",
    )
    jwt_private_key: SecretStr | None = Field(
        default=None, description="Ed25519 private key (PEM) signing access tokens."
    )
    jwt_public_keys: list[str] = Field(
        default_factory=list, description="Older public keys (PEM) still accepted, for rotation."
    )
    jwt_audience: str = "manager-api"
    access_token_minutes: int = 10
    refresh_token_days: int = 30
    mfa_token_minutes: int = 5
    reauthentication_minutes: int = 10
    passkey_rp_id: str | None = Field(
        default=None,
        description="WebAuthn relying party id (a domain); default: the host of the links base.",
    )
    passkey_origins: list[str] = Field(
        default_factory=list,
        description="Origins passkey ceremonies may come from; default: the links base.",
    )
    terms_version: str = Field(
        default="2026-01", description="The provider's terms in force, accepted at activation."
    )
    signup_phone_confirmation: bool = Field(
        default=False, description="Sign-up texts a code that confirms the phone number."
    )
    password_time_cost: int = 2
    password_memory_kib: int = 19456
    password_parallelism: int = 1
    smtp_host: str | None = Field(
        default=None, description="SMTP server; unset writes mails as .eml files in data_dir/mail."
    )
    smtp_port: int = 587
    smtp_username: str | None = None
    smtp_password: SecretStr | None = None
    smtp_security: Literal["starttls", "tls", "none"] = "starttls"
    smtp_timeout_seconds: float = 15.0
    mail_from: str = "Manager <no-reply@manager.localhost>"
    sms_gateway_url: str | None = Field(
        default=None, description="HTTP SMS gateway; unset writes texts to data_dir/sms."
    )
    sms_gateway_token: SecretStr | None = None
    sms_sender: str = "Manager"
    billing_creditor_name: str = "Manager Cloud SA"
    billing_creditor_street: str = "Rue du Stand"
    billing_creditor_building: str = "60"
    billing_creditor_postal_code: str = "1204"
    billing_creditor_town: str = "Genève"
    billing_creditor_country: str = "CH"
    billing_chf_iban: str = Field(
        default="CH4431999123000889012",
        description="QR-IBAN receiving CHF invoices (QR references need a QR-IBAN).",
    )
    billing_eur_iban: str = Field(
        default="CH9300762011623852957", description="IBAN receiving EUR invoices (RF references)."
    )
    billing_eur_bic: str = Field(default="UBSWCHZH80A", description="BIC of the EUR account.")
    billing_vat_number: str = Field(
        default="CHE-123.456.789 MWST",
        description="The platform's VAT number (UID-MWST), printed on its invoices.",
    )
    billing_payment_terms_days: int = 30
    partner_services_ecb_rate_bp: int = Field(
        default=215,
        description="The ECB's main refinancing rate in basis points, for French late-payment "
        "interest on partner invoices (that rate + 10 points).",
    )
    run_worker_in_process: bool | None = Field(
        default=None,
        description="Run the job loop inside `manager serve`; default: on when embedded.",
    )
    cors_origins: list[str] = Field(
        default_factory=list,
        description="Origins (scheme://host[:port]) whose pages may call the API from a browser.",
    )
    api_docs: bool | None = Field(
        default=None,
        description="Serve /docs, /redoc and /openapi.json; default: on unless production.",
    )
    metrics_token: SecretStr | None = Field(
        default=None,
        description="Bearer token /metrics requires; unset: open, except production (not served).",
    )
    shutdown_grace_seconds: int = Field(
        default=20,
        description="After SIGTERM or SIGINT, how long in-flight requests have to finish.",
    )
    webhooks_allow_private_targets: bool | None = Field(
        default=None,
        description="Let webhooks reach private, loopback and link-local addresses; default: "
        "on in development and test, off in production.",
    )

    @property
    def embedded(self) -> bool:
        return self.database_url is None

    @property
    def links_base(self) -> str:
        return (self.frontend_url or self.public_url).rstrip("/")

    @property
    def webauthn_rp_id(self) -> str:
        return self.passkey_rp_id or (urlsplit(self.links_base).hostname or "localhost")

    @property
    def webauthn_origins(self) -> list[str]:
        return self.passkey_origins or [self.links_base]

    @property
    def production(self) -> bool:
        return self.environment == "production"

    @field_validator("cors_origins")
    @classmethod
    def _origins(cls, origins: list[str]) -> list[str]:
        for origin in origins:
            if origin != "*" and not _ORIGIN.match(origin):
                raise ValueError(f"not an origin (scheme://host[:port], no path): {origin!r}")
        return origins

    @property
    def docs_served(self) -> bool:
        return self.api_docs if self.api_docs is not None else not self.production

    @property
    def metrics_served(self) -> bool:
        return self.metrics_token is not None or not self.production

    @property
    def webhook_private_targets_allowed(self) -> bool:
        if self.webhooks_allow_private_targets is not None:
            return self.webhooks_allow_private_targets
        return not self.production

    def problems_for_production(self) -> list[str]:
        """Why this configuration must not serve production traffic (empty when it may)."""
        problems = []
        if self.database_url is None:
            problems.append(
                "MANAGER_DATABASE_URL is not set (the embedded server is for development)"
            )
        secret = self.secret_key.get_secret_value()
        if not secret or secret == EXAMPLE_SECRET:
            problems.append("MANAGER_SECRET_KEY is missing or still the example value")
        elif len(secret) < 32:
            problems.append("MANAGER_SECRET_KEY is shorter than 32 characters")
        if self.jwt_private_key is None:
            problems.append("MANAGER_JWT_PRIVATE_KEY is not set")
        if not self.smtp_host:
            problems.append("MANAGER_SMTP_HOST is not set (mails would only be written to disk)")
        if not self.public_url.startswith("https://"):
            problems.append("MANAGER_PUBLIC_URL must be an https:// URL")
        return problems


@lru_cache
def get_settings() -> Settings:
    return Settings()
