"""Every e-mail the service sends, with the context variables its templates receive.

Templates live in ``templates/<language>/<name>.subject.txt``, ``<name>.txt`` and ``<name>.html``
for each language in ``LANGUAGES``. Every template also receives ``recipient_name`` (may be empty),
``product_name`` ("Manager") and ``public_url``.

Templates in ``NEWSLETTERS`` are newsletter-type mails: each is queued with its recipient's own
unsubscribe URL and sent with ``List-Unsubscribe`` and ``List-Unsubscribe-Post`` (RFC 8058), so
that mail programs offer a one-click unsubscribe.
"""

LANGUAGES = ("fr", "en", "de", "it", "es")
DEFAULT_LANGUAGE = "en"

TEMPLATES: dict[str, tuple[str, ...]] = {
    # Accounts and security
    "account_confirm_email": ("confirm_url",),
    "login_email_change_confirm": ("confirm_url", "new_email"),
    "recovery_email_confirm": ("confirm_url",),
    "password_reset": ("reset_url", "expires_minutes"),
    "password_changed": ("changed_at",),
    "login_succeeded": ("ip", "device", "at"),
    "login_failed": ("ip", "device", "at", "failed_attempts"),
    "account_locked": ("unlock_url", "failed_attempts"),
    "new_location_login": ("ip", "device", "at"),
    "two_factor_enabled": ("at",),
    "two_factor_disabled": ("at",),
    "account_opened_by_partner": ("partner_name", "organization_name", "activation_url"),
    "signup_address_taken": ("login_url", "reset_url"),
    "login_email_changed": ("new_email", "undo_url", "at"),
    "token_created": ("token_name", "scopes", "at"),
    "recovery_email_changed": ("recovery_email", "at"),
    # Organizations
    "organization_invitation": ("organization_name", "inviter_name", "role", "accept_url"),
    "product_management_locked": ("organization_name", "product_name_locked", "locked_by"),
    "product_management_unlocked": ("organization_name", "product_name_locked", "unlocked_by"),
    "two_factor_required_alert": ("organization_name", "enroll_url"),
    "organization_details_changed": (
        "organization_name",
        "changed_by",
        "name_before",
        "name_after",
        "kind_before",
        "kind_after",
        "address_before",
        "address_after",
        "phone_before",
        "phone_after",
    ),
    "partner_invitation": ("partner_name", "client_name", "accept_url"),
    "sso_domain_verification": ("organization_name", "domain", "code"),
    # Ticketing (customers of a ticket office)
    "order_confirmation": (
        "order_number",
        "event_name",
        "order_url",
        "total",
        "payment_due_at",
        "invoice_url",
    ),
    "order_payment_reminder": (
        "order_number",
        "event_name",
        "order_url",
        "total",
        "reminder_number",
        "cancel_on",
        "invoice_url",
    ),
    "order_auto_cancelled": ("order_number", "event_name", "total"),
    "order_cancelled": ("order_number", "event_name", "ticket_numbers", "reason"),
    "gift_card_purchased": (
        "sender_name",
        "office_name",
        "gift_card_code",
        "amount",
        "expires_on",
        "message",
    ),
    "order_confirmation_insured": (
        "order_number",
        "event_name",
        "order_url",
        "total",
        "payment_due_at",
        "invoice_url",
        "policy_reference",
        "insurer_name",
        "insurer_phone",
        "insurer_email",
    ),
    "order_cancelled_insured": (
        "order_number",
        "event_name",
        "ticket_numbers",
        "reason",
        "policy_reference",
        "insurer_name",
        "insurer_phone",
        "insurer_email",
    ),
    "performance_rescheduled": (
        "order_number",
        "event_name",
        "old_date",
        "new_date",
        "venue",
        "order_url",
    ),
    "pass_confirmation": (
        "pass_name",
        "pass_number",
        "performances",
        "first_date",
        "last_date",
        "total",
    ),
    "pre_event_message": ("subject", "message", "event_name", "starts_at", "venue"),
    # Billing
    "invoice_issued": ("invoice_number", "total", "due_date", "invoice_url"),
    "invoice_reminder": ("invoice_number", "total", "due_date", "invoice_url", "reminder_number"),
    "transfer_credited_to_prepaid": ("amount", "reference", "reason"),
    "renewal_reminder": ("product_name_renewed", "expires_at", "renew_url"),
    # Partner services (a partner's own work for its clients)
    "service_request_updated": ("subject", "step", "status", "time_spent_minutes", "request_url"),
    "partner_quote_sent": ("partner_name", "quote_title", "total", "quote_url"),
    "partner_invoice_issued": (
        "partner_name",
        "invoice_number",
        "total",
        "due_date",
        "invoice_url",
    ),
    "partner_invoice_reminder": (
        "partner_name",
        "invoice_number",
        "total",
        "due_date",
        "days_late",
        "interest",
        "indemnity",
        "amount_due",
        "invoice_url",
    ),
    "renewal_charge_declined": ("product_name_renewed", "amount", "renew_url"),
    # Affiliate programme
    "affiliate_payout": ("amount", "month", "commission_count", "destination"),
    # Webhooks
    "webhook_subscription_disabled": ("organization_name", "target_url", "reason"),
    # Newsletters (platform staff to an account's subscribed topics)
    "newsletter": ("newsletter_subject", "newsletter_text", "topic_name"),
}

NEWSLETTERS: frozenset[str] = frozenset({"newsletter"})
"""Newsletter-type templates: queued with ``unsubscribe_url``, sent with the unsubscribe headers."""
