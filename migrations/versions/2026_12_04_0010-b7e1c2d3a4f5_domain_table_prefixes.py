"""Every table carries its domain's prefix (ticketing_orders, organizations_billing_addresses, …).

Tables are renamed in place; their constraints and indexes follow, so the names keep matching the
naming convention (``pk_<table>``, ``fk_<table>_<column>_<referred table>``, ``ix_<table>_…``).
The lists were built by matching every constraint and index, by table and definition, against a
schema created from the models. Nothing else changes but one CHECK the models already declared
(``ck_ticketing_price_categories_price``), which no migration had created.

Revision ID: b7e1c2d3a4f5
Revises: 697ce5cb6a14
Create Date: 2026-12-04 00:10:00+00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "b7e1c2d3a4f5"
down_revision: str | None = "697ce5cb6a14"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = [
    ("mail_outbox", "notifications_mail_outbox"),
    ("sms_outbox", "notifications_sms_outbox"),
    ("domain_events", "events_domain_events"),
    ("organization_logos", "organizations_logos"),
    ("billing_addresses", "organizations_billing_addresses"),
    ("memberships", "organizations_memberships"),
    ("organization_invitations", "organizations_invitations"),
    ("products", "organizations_products"),
    ("teams", "organizations_teams"),
    ("team_members", "organizations_team_members"),
    ("product_grants", "organizations_product_grants"),
    ("partner_invitations", "organizations_partner_invitations"),
    ("partnerships", "organizations_partnerships"),
    ("partnership_products", "organizations_partnership_products"),
    ("support_access_grants", "organizations_support_access_grants"),
    ("webhook_subscriptions", "webhooks_subscriptions"),
    ("webhook_event_fanouts", "webhooks_event_fanouts"),
    ("webhook_deliveries", "webhooks_deliveries"),
    ("webhook_attempts", "webhooks_attempts"),
    ("account_avatars", "accounts_avatars"),
    ("auth_sessions", "accounts_auth_sessions"),
    ("refresh_tokens", "accounts_refresh_tokens"),
    ("login_attempts", "accounts_login_attempts"),
    ("emergency_codes", "accounts_emergency_codes"),
    ("account_tokens", "accounts_tokens"),
    ("consumed_tokens", "accounts_consumed_tokens"),
    ("personal_access_tokens", "accounts_personal_access_tokens"),
    ("ticket_offices", "ticketing_offices"),
    ("price_categories", "ticketing_price_categories"),
    ("performances", "ticketing_performances"),
    ("orders", "ticketing_orders"),
    ("cancellations", "ticketing_cancellations"),
    ("tickets", "ticketing_tickets"),
    ("ticket_exchanges", "ticketing_exchanges"),
    ("ticket_scans", "ticketing_scans"),
    ("rate_limit_counters", "core_rate_limit_counters"),
    ("idempotency_keys", "core_idempotency_keys"),
]

# (table after the rename, old name, new name); constraints are renamed while tables carry
# their new names, both ways.
CONSTRAINTS = [
    (
        "accounts_auth_sessions",
        "fk_auth_sessions_account_id_accounts",
        "fk_accounts_auth_sessions_account_id_accounts",
    ),
    ("accounts_auth_sessions", "pk_auth_sessions", "pk_accounts_auth_sessions"),
    (
        "accounts_avatars",
        "fk_account_avatars_account_id_accounts",
        "fk_accounts_avatars_account_id_accounts",
    ),
    ("accounts_avatars", "pk_account_avatars", "pk_accounts_avatars"),
    ("accounts_consumed_tokens", "pk_consumed_tokens", "pk_accounts_consumed_tokens"),
    (
        "accounts_emergency_codes",
        "fk_emergency_codes_account_id_accounts",
        "fk_accounts_emergency_codes_account_id_accounts",
    ),
    ("accounts_emergency_codes", "pk_emergency_codes", "pk_accounts_emergency_codes"),
    (
        "accounts_emergency_codes",
        "uq_emergency_codes_account_id_code_digest",
        "uq_accounts_emergency_codes_account_id_code_digest",
    ),
    (
        "accounts_login_attempts",
        "fk_login_attempts_account_id_accounts",
        "fk_accounts_login_attempts_account_id_accounts",
    ),
    ("accounts_login_attempts", "pk_login_attempts", "pk_accounts_login_attempts"),
    (
        "accounts_personal_access_tokens",
        "fk_personal_access_tokens_account_id_accounts",
        "fk_accounts_personal_access_tokens_account_id_accounts",
    ),
    (
        "accounts_personal_access_tokens",
        "pk_personal_access_tokens",
        "pk_accounts_personal_access_tokens",
    ),
    (
        "accounts_personal_access_tokens",
        "uq_personal_access_tokens_token_digest",
        "uq_accounts_personal_access_tokens_token_digest",
    ),
    (
        "accounts_refresh_tokens",
        "fk_refresh_tokens_session_id_auth_sessions",
        "fk_accounts_refresh_tokens_session_id_accounts_auth_sessions",
    ),
    ("accounts_refresh_tokens", "pk_refresh_tokens", "pk_accounts_refresh_tokens"),
    (
        "accounts_refresh_tokens",
        "uq_refresh_tokens_token_digest",
        "uq_accounts_refresh_tokens_token_digest",
    ),
    (
        "accounts_tokens",
        "fk_account_tokens_account_id_accounts",
        "fk_accounts_tokens_account_id_accounts",
    ),
    ("accounts_tokens", "pk_account_tokens", "pk_accounts_tokens"),
    ("accounts_tokens", "uq_account_tokens_token_digest", "uq_accounts_tokens_token_digest"),
    (
        "billing_subscriptions",
        "fk_billing_subscriptions_product_id_products",
        "fk_billing_subscriptions_product_id_organizations_products",
    ),
    ("core_idempotency_keys", "pk_idempotency_keys", "pk_core_idempotency_keys"),
    (
        "core_idempotency_keys",
        "uq_idempotency_keys_principal_key",
        "uq_core_idempotency_keys_principal_key",
    ),
    ("core_rate_limit_counters", "pk_rate_limit_counters", "pk_core_rate_limit_counters"),
    ("events_domain_events", "pk_domain_events", "pk_events_domain_events"),
    ("notifications_mail_outbox", "pk_mail_outbox", "pk_notifications_mail_outbox"),
    ("notifications_sms_outbox", "pk_sms_outbox", "pk_notifications_sms_outbox"),
    (
        "organizations_billing_addresses",
        "fk_billing_addresses_organization_id_organizations",
        "fk_organizations_billing_addresses_organization_id_orga_841c",
    ),
    (
        "organizations_billing_addresses",
        "pk_billing_addresses",
        "pk_organizations_billing_addresses",
    ),
    (
        "organizations_invitations",
        "fk_organization_invitations_accepted_account_id_accounts",
        "fk_organizations_invitations_accepted_account_id_accounts",
    ),
    (
        "organizations_invitations",
        "fk_organization_invitations_invited_by_account_id_accounts",
        "fk_organizations_invitations_invited_by_account_id_accounts",
    ),
    (
        "organizations_invitations",
        "fk_organization_invitations_organization_id_organizations",
        "fk_organizations_invitations_organization_id_organizations",
    ),
    ("organizations_invitations", "pk_organization_invitations", "pk_organizations_invitations"),
    (
        "organizations_invitations",
        "uq_organization_invitations_token_digest",
        "uq_organizations_invitations_token_digest",
    ),
    (
        "organizations_logos",
        "fk_organization_logos_organization_id_organizations",
        "fk_organizations_logos_organization_id_organizations",
    ),
    ("organizations_logos", "pk_organization_logos", "pk_organizations_logos"),
    (
        "organizations_memberships",
        "fk_memberships_account_id_accounts",
        "fk_organizations_memberships_account_id_accounts",
    ),
    (
        "organizations_memberships",
        "fk_memberships_organization_id_organizations",
        "fk_organizations_memberships_organization_id_organizations",
    ),
    ("organizations_memberships", "pk_memberships", "pk_organizations_memberships"),
    (
        "organizations_memberships",
        "uq_memberships_organization_id_account_id",
        "uq_organizations_memberships_organization_id_account_id",
    ),
    (
        "organizations_partner_invitations",
        "fk_partner_invitations_invited_by_account_id_accounts",
        "fk_organizations_partner_invitations_invited_by_account_200c",
    ),
    (
        "organizations_partner_invitations",
        "fk_partner_invitations_partner_organization_id_organizations",
        "fk_organizations_partner_invitations_partner_organizati_1a28",
    ),
    (
        "organizations_partner_invitations",
        "fk_partner_invitations_partnership_id_partnerships",
        "fk_organizations_partner_invitations_partnership_id_org_456e",
    ),
    (
        "organizations_partner_invitations",
        "pk_partner_invitations",
        "pk_organizations_partner_invitations",
    ),
    (
        "organizations_partner_invitations",
        "uq_partner_invitations_token_digest",
        "uq_organizations_partner_invitations_token_digest",
    ),
    (
        "organizations_partnership_products",
        "fk_partnership_products_partnership_id_partnerships",
        "fk_organizations_partnership_products_partnership_id_or_675e",
    ),
    (
        "organizations_partnership_products",
        "fk_partnership_products_product_id_products",
        "fk_organizations_partnership_products_product_id_organi_2aba",
    ),
    (
        "organizations_partnership_products",
        "pk_partnership_products",
        "pk_organizations_partnership_products",
    ),
    (
        "organizations_partnerships",
        "fk_partnerships_accepted_by_account_id_accounts",
        "fk_organizations_partnerships_accepted_by_account_id_accounts",
    ),
    (
        "organizations_partnerships",
        "fk_partnerships_client_organization_id_organizations",
        "fk_organizations_partnerships_client_organization_id_or_d0f3",
    ),
    (
        "organizations_partnerships",
        "fk_partnerships_ended_by_account_id_accounts",
        "fk_organizations_partnerships_ended_by_account_id_accounts",
    ),
    (
        "organizations_partnerships",
        "fk_partnerships_ended_by_organization_id_organizations",
        "fk_organizations_partnerships_ended_by_organization_id__48a6",
    ),
    (
        "organizations_partnerships",
        "fk_partnerships_partner_organization_id_organizations",
        "fk_organizations_partnerships_partner_organization_id_o_778c",
    ),
    ("organizations_partnerships", "pk_partnerships", "pk_organizations_partnerships"),
    (
        "organizations_product_grants",
        "ck_product_grants_one_subject",
        "ck_organizations_product_grants_one_subject",
    ),
    (
        "organizations_product_grants",
        "ck_product_grants_scope_target",
        "ck_organizations_product_grants_scope_target",
    ),
    (
        "organizations_product_grants",
        "fk_product_grants_account_id_accounts",
        "fk_organizations_product_grants_account_id_accounts",
    ),
    (
        "organizations_product_grants",
        "fk_product_grants_granted_by_account_id_accounts",
        "fk_organizations_product_grants_granted_by_account_id_accounts",
    ),
    (
        "organizations_product_grants",
        "fk_product_grants_organization_id_organizations",
        "fk_organizations_product_grants_organization_id_organizations",
    ),
    (
        "organizations_product_grants",
        "fk_product_grants_product_id_products",
        "fk_organizations_product_grants_product_id_organization_e3f3",
    ),
    (
        "organizations_product_grants",
        "fk_product_grants_team_id_teams",
        "fk_organizations_product_grants_team_id_organizations_teams",
    ),
    ("organizations_product_grants", "pk_product_grants", "pk_organizations_product_grants"),
    (
        "organizations_products",
        "fk_products_organization_id_organizations",
        "fk_organizations_products_organization_id_organizations",
    ),
    ("organizations_products", "pk_products", "pk_organizations_products"),
    (
        "organizations_support_access_grants",
        "fk_support_access_grants_granted_by_account_id_accounts",
        "fk_organizations_support_access_grants_granted_by_accou_6e4a",
    ),
    (
        "organizations_support_access_grants",
        "fk_support_access_grants_organization_id_organizations",
        "fk_organizations_support_access_grants_organization_id__b71b",
    ),
    (
        "organizations_support_access_grants",
        "fk_support_access_grants_revoked_by_account_id_accounts",
        "fk_organizations_support_access_grants_revoked_by_accou_1eea",
    ),
    (
        "organizations_support_access_grants",
        "pk_support_access_grants",
        "pk_organizations_support_access_grants",
    ),
    (
        "organizations_team_members",
        "fk_team_members_account_id_accounts",
        "fk_organizations_team_members_account_id_accounts",
    ),
    (
        "organizations_team_members",
        "fk_team_members_team_id_teams",
        "fk_organizations_team_members_team_id_organizations_teams",
    ),
    ("organizations_team_members", "pk_team_members", "pk_organizations_team_members"),
    (
        "organizations_teams",
        "fk_teams_organization_id_organizations",
        "fk_organizations_teams_organization_id_organizations",
    ),
    ("organizations_teams", "pk_teams", "pk_organizations_teams"),
    (
        "organizations_teams",
        "uq_teams_organization_id_name",
        "uq_organizations_teams_organization_id_name",
    ),
    (
        "ticketing_cancellations",
        "fk_cancellations_order_id_orders",
        "fk_ticketing_cancellations_order_id_ticketing_orders",
    ),
    ("ticketing_cancellations", "pk_cancellations", "pk_ticketing_cancellations"),
    (
        "ticketing_events",
        "fk_ticketing_events_ticket_office_id_ticket_offices",
        "fk_ticketing_events_ticket_office_id_ticketing_offices",
    ),
    (
        "ticketing_exchanges",
        "fk_ticket_exchanges_new_ticket_id_tickets",
        "fk_ticketing_exchanges_new_ticket_id_ticketing_tickets",
    ),
    (
        "ticketing_exchanges",
        "fk_ticket_exchanges_old_ticket_id_tickets",
        "fk_ticketing_exchanges_old_ticket_id_ticketing_tickets",
    ),
    (
        "ticketing_exchanges",
        "fk_ticket_exchanges_order_id_orders",
        "fk_ticketing_exchanges_order_id_ticketing_orders",
    ),
    ("ticketing_exchanges", "pk_ticket_exchanges", "pk_ticketing_exchanges"),
    (
        "ticketing_offices",
        "fk_ticket_offices_id_products",
        "fk_ticketing_offices_id_organizations_products",
    ),
    ("ticketing_offices", "pk_ticket_offices", "pk_ticketing_offices"),
    (
        "ticketing_orders",
        "fk_orders_event_id_ticketing_events",
        "fk_ticketing_orders_event_id_ticketing_events",
    ),
    (
        "ticketing_orders",
        "fk_orders_ticket_office_id_ticket_offices",
        "fk_ticketing_orders_ticket_office_id_ticketing_offices",
    ),
    ("ticketing_orders", "pk_orders", "pk_ticketing_orders"),
    ("ticketing_orders", "uq_orders_access_key_digest", "uq_ticketing_orders_access_key_digest"),
    ("ticketing_orders", "uq_orders_number", "uq_ticketing_orders_number"),
    (
        "ticketing_performances",
        "ck_performances_within_capacity",
        "ck_ticketing_performances_within_capacity",
    ),
    (
        "ticketing_performances",
        "fk_performances_event_id_ticketing_events",
        "fk_ticketing_performances_event_id_ticketing_events",
    ),
    ("ticketing_performances", "pk_performances", "pk_ticketing_performances"),
    (
        "ticketing_price_categories",
        "fk_price_categories_event_id_ticketing_events",
        "fk_ticketing_price_categories_event_id_ticketing_events",
    ),
    ("ticketing_price_categories", "pk_price_categories", "pk_ticketing_price_categories"),
    (
        "ticketing_scans",
        "fk_ticket_scans_performance_id_performances",
        "fk_ticketing_scans_performance_id_ticketing_performances",
    ),
    (
        "ticketing_scans",
        "fk_ticket_scans_ticket_id_tickets",
        "fk_ticketing_scans_ticket_id_ticketing_tickets",
    ),
    ("ticketing_scans", "pk_ticket_scans", "pk_ticketing_scans"),
    (
        "ticketing_tickets",
        "fk_tickets_cancellation_id_cancellations",
        "fk_ticketing_tickets_cancellation_id_ticketing_cancellations",
    ),
    (
        "ticketing_tickets",
        "fk_tickets_exchanged_from_id_tickets",
        "fk_ticketing_tickets_exchanged_from_id_ticketing_tickets",
    ),
    (
        "ticketing_tickets",
        "fk_tickets_order_id_orders",
        "fk_ticketing_tickets_order_id_ticketing_orders",
    ),
    (
        "ticketing_tickets",
        "fk_tickets_performance_id_performances",
        "fk_ticketing_tickets_performance_id_ticketing_performances",
    ),
    (
        "ticketing_tickets",
        "fk_tickets_price_category_id_price_categories",
        "fk_ticketing_tickets_price_category_id_ticketing_price__7ef2",
    ),
    ("ticketing_tickets", "pk_tickets", "pk_ticketing_tickets"),
    ("ticketing_tickets", "uq_tickets_number", "uq_ticketing_tickets_number"),
    (
        "webhooks_attempts",
        "fk_webhook_attempts_delivery_id_webhook_deliveries",
        "fk_webhooks_attempts_delivery_id_webhooks_deliveries",
    ),
    (
        "webhooks_attempts",
        "fk_webhook_attempts_subscription_id_webhook_subscriptions",
        "fk_webhooks_attempts_subscription_id_webhooks_subscriptions",
    ),
    ("webhooks_attempts", "pk_webhook_attempts", "pk_webhooks_attempts"),
    (
        "webhooks_deliveries",
        "fk_webhook_deliveries_event_id_domain_events",
        "fk_webhooks_deliveries_event_id_events_domain_events",
    ),
    (
        "webhooks_deliveries",
        "fk_webhook_deliveries_subscription_id_webhook_subscriptions",
        "fk_webhooks_deliveries_subscription_id_webhooks_subscriptions",
    ),
    ("webhooks_deliveries", "pk_webhook_deliveries", "pk_webhooks_deliveries"),
    (
        "webhooks_deliveries",
        "uq_webhook_deliveries_subscription_id_event_id",
        "uq_webhooks_deliveries_subscription_id_event_id",
    ),
    (
        "webhooks_event_fanouts",
        "fk_webhook_event_fanouts_event_id_domain_events",
        "fk_webhooks_event_fanouts_event_id_events_domain_events",
    ),
    ("webhooks_event_fanouts", "pk_webhook_event_fanouts", "pk_webhooks_event_fanouts"),
    (
        "webhooks_subscriptions",
        "fk_webhook_subscriptions_organization_id_organizations",
        "fk_webhooks_subscriptions_organization_id_organizations",
    ),
    ("webhooks_subscriptions", "pk_webhook_subscriptions", "pk_webhooks_subscriptions"),
]
INDEXES = [
    ("ix_auth_sessions_account", "ix_accounts_auth_sessions_account"),
    ("ix_consumed_tokens_expires_at", "ix_accounts_consumed_tokens_expires_at"),
    ("ix_login_attempts_account", "ix_accounts_login_attempts_account"),
    ("ix_personal_access_tokens_account", "ix_accounts_personal_access_tokens_account"),
    ("ix_refresh_tokens_session_id", "ix_accounts_refresh_tokens_session_id"),
    ("ix_account_tokens_account_id", "ix_accounts_tokens_account_id"),
    ("ix_idempotency_keys_expires_at", "ix_core_idempotency_keys_expires_at"),
    ("ix_domain_events_account_id", "ix_events_domain_events_account_id"),
    ("ix_domain_events_organization_feed", "ix_events_domain_events_organization_feed"),
    ("ix_domain_events_webhook_fanout", "ix_events_domain_events_webhook_fanout"),
    ("ix_mail_outbox_account_id", "ix_notifications_mail_outbox_account_id"),
    ("ix_mail_outbox_due", "ix_notifications_mail_outbox_due"),
    ("ix_sms_outbox_due", "ix_notifications_sms_outbox_due"),
    ("ix_billing_addresses_organization", "ix_organizations_billing_addresses_organization"),
    ("ix_organization_invitations_organization", "ix_organizations_invitations_organization"),
    ("ix_memberships_account", "ix_organizations_memberships_account"),
    ("ix_memberships_organization", "ix_organizations_memberships_organization"),
    ("ix_partner_invitations_partner", "ix_organizations_partner_invitations_partner"),
    ("ix_partnerships_client", "ix_organizations_partnerships_client"),
    ("ix_partnerships_partner", "ix_organizations_partnerships_partner"),
    ("ix_product_grants_account", "ix_organizations_product_grants_account"),
    ("ix_product_grants_organization", "ix_organizations_product_grants_organization"),
    ("ix_product_grants_team", "ix_organizations_product_grants_team"),
    ("ix_products_organization", "ix_organizations_products_organization"),
    (
        "ix_support_access_grants_organization",
        "ix_organizations_support_access_grants_organization",
    ),
    ("ix_team_members_account", "ix_organizations_team_members_account"),
    ("ix_teams_organization", "ix_organizations_teams_organization"),
    ("ix_cancellations_order_id", "ix_ticketing_cancellations_order_id"),
    ("ix_ticket_exchanges_order_id", "ix_ticketing_exchanges_order_id"),
    ("ix_ticket_offices_organization_id", "ix_ticketing_offices_organization_id"),
    ("ix_orders_deadline_due", "ix_ticketing_orders_deadline_due"),
    ("ix_orders_event_id", "ix_ticketing_orders_event_id"),
    ("ix_orders_office", "ix_ticketing_orders_office"),
    ("ix_performances_event_id", "ix_ticketing_performances_event_id"),
    ("ix_price_categories_event_id", "ix_ticketing_price_categories_event_id"),
    ("ix_ticket_scans_performance", "ix_ticketing_scans_performance"),
    ("ix_tickets_order_id", "ix_ticketing_tickets_order_id"),
    ("ix_tickets_performance_status", "ix_ticketing_tickets_performance_status"),
    ("ix_webhook_attempts_delivery", "ix_webhooks_attempts_delivery"),
    ("ix_webhook_attempts_list", "ix_webhooks_attempts_list"),
    ("ix_webhook_deliveries_due", "ix_webhooks_deliveries_due"),
    ("ix_webhook_deliveries_event_id", "ix_webhooks_deliveries_event_id"),
    ("ix_webhook_deliveries_list", "ix_webhooks_deliveries_list"),
    ("ix_webhook_event_fanouts_event_created_at", "ix_webhooks_event_fanouts_event_created_at"),
    ("ix_webhook_subscriptions_list", "ix_webhooks_subscriptions_list"),
]


def _rename(forward: bool) -> None:
    def pick(old: str, new: str) -> tuple[str, str]:
        return (old, new) if forward else (new, old)

    if forward:
        for old, new in TABLES:
            op.rename_table(old, new)
    for table, old, new in CONSTRAINTS:
        source, target = pick(old, new)
        op.execute(f'ALTER TABLE "{table}" RENAME CONSTRAINT "{source}" TO "{target}"')
    for old, new in INDEXES:
        source, target = pick(old, new)
        op.execute(f'ALTER INDEX "{source}" RENAME TO "{target}"')
    if not forward:
        for old, new in TABLES:
            op.rename_table(new, old)


def upgrade() -> None:
    _rename(forward=True)
    op.create_check_constraint(
        "ck_ticketing_price_categories_price", "ticketing_price_categories", "price_minor >= 0"
    )


def downgrade() -> None:
    op.drop_constraint(
        "ck_ticketing_price_categories_price", "ticketing_price_categories", type_="check"
    )
    _rename(forward=False)
