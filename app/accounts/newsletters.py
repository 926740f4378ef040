"""Newsletter topics: each subscription records when the account consented and to what wording;
every newsletter carries its recipient's own one-click unsubscribe link (RFC 8058); platform
staff export a topic's subscribers and send it a newsletter through the mail outbox.

``Account.newsletter_topics`` (the profile's list) and the active subscriptions change together,
here only.
"""

import csv
import io
import uuid
from collections.abc import Sequence

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts.errors import InvalidLinkToken
from app.accounts.mail import mail_account
from app.accounts.models import Account, NewsletterSubscription
from app.accounts.schemas import NEWSLETTER_TOPICS, NewsletterSend
from app.activity import service as activity
from app.activity.types import Actor
from app.core import clock
from app.core.security.tokens import keyed, same
from app.core.settings import get_settings

UNSUBSCRIBE_PATH = "/v1/newsletters/unsubscribe"
_TOKEN_PURPOSE = "newsletter_unsubscribe"
_MAC_LENGTH = 32

TOPIC_NAMES: dict[str, dict[str, str]] = {
    "product_news": {
        "en": "Product news",
        "fr": "Nouveautés produits",
        "de": "Produktneuheiten",
        "it": "Novità sui prodotti",
        "es": "Novedades de productos",
    },
    "events": {
        "en": "Events",
        "fr": "Évènements",
        "de": "Veranstaltungen",
        "it": "Eventi",
        "es": "Eventos",
    },
    "tips": {
        "en": "Tips and guides",
        "fr": "Conseils et guides",
        "de": "Tipps und Anleitungen",
        "it": "Consigli e guide",
        "es": "Consejos y guías",
    },
    "offers": {
        "en": "Offers",
        "fr": "Offres",
        "de": "Angebote",
        "it": "Offerte",
        "es": "Ofertas",
    },
}
CONSENT_WORDING: dict[str, str] = {
    "en": "I agree to receive the {product} newsletter “{topic}” by e-mail. I can unsubscribe "
    "at any time, in my profile or with the link in each newsletter.",
    "fr": "J\u2019accepte de recevoir par e-mail la newsletter {product} « {topic} ». Je peux me "
    "désabonner à tout moment, dans mon profil ou avec le lien de chaque newsletter.",
    "de": "Ich bin einverstanden, den {product}-Newsletter „{topic}“ per E-Mail zu erhalten. "
    "Ich kann ihn jederzeit abbestellen, in meinem Profil oder über den Link in jedem Newsletter.",
    "it": "Accetto di ricevere per e-mail la newsletter {product} «{topic}». Posso disiscrivermi "
    "in qualsiasi momento, nel mio profilo o con il link presente in ogni newsletter.",
    "es": "Acepto recibir por correo electrónico el boletín de {product} «{topic}». Puedo "
    "cancelar la suscripción en cualquier momento, en mi perfil o con el enlace de cada boletín.",
}
PRODUCT_NAME = "Manager"
CSV_COLUMNS = (
    "account_id",
    "email",
    "first_name",
    "last_name",
    "language",
    "consented_at",
    "consent_language",
    "consent_wording",
)


def _language(language: str) -> str:
    return language if language in CONSENT_WORDING else "en"


def topic_name(topic: str, language: str) -> str:
    return TOPIC_NAMES[topic][_language(language)]


def consent_wording(topic: str, language: str) -> str:
    """The sentence an account agrees to when it subscribes to ``topic``, in its language (the
    front-end shows the same words)."""
    language = _language(language)
    return CONSENT_WORDING[language].format(
        product=PRODUCT_NAME, topic=TOPIC_NAMES[topic][language]
    )


async def _active(session: AsyncSession, account_id: uuid.UUID) -> list[NewsletterSubscription]:
    rows = await session.scalars(
        select(NewsletterSubscription)
        .where(
            NewsletterSubscription.account_id == account_id,
            NewsletterSubscription.withdrawn_at.is_(None),
        )
        .with_for_update()
    )
    return list(rows)


async def set_topics(
    session: AsyncSession, account: Account, topics: Sequence[str], *, by: Actor
) -> None:
    """Makes ``topics`` the account's subscriptions: a new topic records the consent (now, and
    the wording in the account's language), a dropped one is withdrawn; the others keep theirs.
    """
    wanted = [topic for topic in dict.fromkeys(topics) if topic in NEWSLETTER_TOPICS]
    now = clock.now()
    active = await _active(session, account.id)
    held = {subscription.topic for subscription in active}
    added = [topic for topic in wanted if topic not in held]
    withdrawn = [subscription for subscription in active if subscription.topic not in wanted]
    for topic in added:
        session.add(
            NewsletterSubscription(
                account_id=account.id,
                topic=topic,
                consented_at=now,
                consent_wording=consent_wording(topic, account.language),
                consent_language=_language(account.language),
            )
        )
    for subscription in withdrawn:
        subscription.withdrawn_at = now
    account.newsletter_topics = wanted
    if added or withdrawn:
        await session.flush()
        await activity.record(
            session,
            by,
            "account.newsletter_topics_changed",
            account_id=account.id,
            details={
                "subscribed": added,
                "unsubscribed": sorted(subscription.topic for subscription in withdrawn),
            },
        )


def unsubscribe_token(subscription: NewsletterSubscription) -> str:
    """The recipient's own opaque token for one subscription: its id and a keyed digest of it,
    so nothing is stored and nobody can make one for another subscription."""
    key = subscription.id.hex
    return key + keyed(key, purpose=_TOKEN_PURPOSE)[:_MAC_LENGTH]


def unsubscribe_url(subscription: NewsletterSubscription) -> str:
    """The one-click unsubscribe URL: a POST with ``List-Unsubscribe=One-Click`` (RFC 8058) to
    the API itself, so that mail programs can call it without a page or a login."""
    base = get_settings().public_url.rstrip("/")
    return f"{base}{UNSUBSCRIBE_PATH}?token={unsubscribe_token(subscription)}"


def _subscription_id(token: str) -> uuid.UUID | None:
    key, mac = token[:-_MAC_LENGTH], token[-_MAC_LENGTH:]
    if len(key) != 32 or not same(mac, keyed(key, purpose=_TOKEN_PURPOSE)[:_MAC_LENGTH]):
        return None
    try:
        return uuid.UUID(hex=key)
    except ValueError:
        return None


async def unsubscribe(session: AsyncSession, token: str, *, ip: str | None = None) -> None:
    """Withdraws the subscription the token names (one click, no login: whoever holds the mail
    acts as its recipient). Already withdrawn: nothing more happens. A forged or damaged token
    is refused (``InvalidLinkToken``)."""
    subscription_id = _subscription_id(token)
    subscription = (
        await session.get(NewsletterSubscription, subscription_id, with_for_update=True)
        if subscription_id
        else None
    )
    if subscription is None:
        raise InvalidLinkToken("This unsubscribe link is not valid.")
    if subscription.withdrawn_at is not None:
        return
    account = await session.get(Account, subscription.account_id, with_for_update=True)
    if account is None:
        raise InvalidLinkToken("This unsubscribe link is not valid.")
    subscription.withdrawn_at = clock.now()
    account.newsletter_topics = [t for t in account.newsletter_topics if t != subscription.topic]
    await activity.record(
        session,
        Actor(account.id, ip=ip),
        "account.newsletter_unsubscribed",
        account_id=account.id,
        details={"topic": subscription.topic, "one_click": True},
    )


def subscribers(topic: str) -> Select[NewsletterSubscription, Account]:
    """The topic's active subscriptions of live accounts with their accounts, oldest consent
    first."""
    return (
        select(NewsletterSubscription, Account)
        .join(Account, Account.id == NewsletterSubscription.account_id)
        .where(
            NewsletterSubscription.topic == topic,
            NewsletterSubscription.withdrawn_at.is_(None),
            Account.deleted_at.is_(None),
        )
        .order_by(NewsletterSubscription.consented_at, NewsletterSubscription.id)
    )


async def export_csv(session: AsyncSession, topic: str) -> str:
    """The topic's subscribers as CSV (one row each: who, when they consented, to what words)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for subscription, account in await session.execute(subscribers(topic)):
        writer.writerow(
            [
                str(account.id),
                _cell(account.email),
                _cell(account.first_name),
                _cell(account.last_name),
                account.language,
                subscription.consented_at.isoformat(),
                subscription.consent_language,
                subscription.consent_wording,
            ]
        )
    return buffer.getvalue()


def _cell(value: str) -> str:
    """A value a spreadsheet will not run as a formula."""
    return f"'{value}" if value[:1] in ("=", "+", "-", "@") else value


async def send(session: AsyncSession, body: NewsletterSend, *, by: Actor) -> int:
    """Queues the newsletter to each subscriber of ``body.topic`` whose login e-mail is
    confirmed: the version in their language (else the first one), with their own unsubscribe
    link. Recorded in the sender's activity log. Returns how many mails were queued."""
    versions = {version.language.value: version for version in body.versions}
    fallback = body.versions[0]
    queued = 0
    for subscription, account in await session.execute(subscribers(body.topic)):
        if account.email_confirmed_at is None:
            continue
        version = versions.get(account.language, fallback)
        await mail_account(
            session,
            account,
            "newsletter",
            {
                "newsletter_subject": version.subject,
                "newsletter_text": version.text,
                "topic_name": topic_name(body.topic, version.language),
            },
            language=version.language,
            unsubscribe_url=unsubscribe_url(subscription),
        )
        queued += 1
    await activity.record(
        session,
        by,
        "newsletter.sent",
        account_id=by.account_id,
        details={"topic": body.topic, "recipients": queued},
    )
    return queued
