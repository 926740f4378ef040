"""Who an invoice is paid to, and the payment reference that goes with the account.

The rule (Swiss Payment Standards): a QR-IBAN takes a QR reference (QRR), any other IBAN a
creditor reference (RF, ISO 11649); EUR is always paid with an RF reference. The creditor is
copied onto the invoice when it is issued, so a later change of a payee never changes an invoice.
"""

from dataclasses import asdict, dataclass
from typing import Any

from app.billing import references
from app.core.iban import compact, is_qr_iban
from app.core.settings import get_settings


@dataclass(frozen=True)
class Creditor:
    name: str
    street: str
    building: str
    postal_code: str
    town: str
    country: str
    account: str
    """The IBAN or QR-IBAN the invoice is paid to, without spaces."""
    bic: str | None = None
    vat_number: str | None = None

    def snapshot(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_snapshot(cls, data: dict[str, Any]) -> "Creditor":
        return cls(
            name=str(data.get("name") or ""),
            street=str(data.get("street") or ""),
            building=str(data.get("building") or ""),
            postal_code=str(data.get("postal_code") or ""),
            town=str(data.get("town") or ""),
            country=str(data.get("country") or ""),
            account=str(data.get("account") or ""),
            bic=data.get("bic") or None,
            vat_number=data.get("vat_number") or None,
        )

    @property
    def address_line(self) -> str:
        street = f"{self.street} {self.building}".strip()
        return ", ".join(
            part for part in (street, f"{self.postal_code} {self.town}".strip()) if part
        )


def platform(currency: str) -> Creditor:
    """The platform as the creditor of its own invoices (the billing settings)."""
    settings = get_settings()
    return Creditor(
        name=settings.billing_creditor_name,
        street=settings.billing_creditor_street,
        building=settings.billing_creditor_building,
        postal_code=settings.billing_creditor_postal_code,
        town=settings.billing_creditor_town,
        country=settings.billing_creditor_country,
        account=compact(
            settings.billing_chf_iban if currency == "CHF" else settings.billing_eur_iban
        ),
        bic=settings.billing_eur_bic if currency != "CHF" else None,
        vat_number=settings.billing_vat_number,
    )


def of_invoice(snapshot: dict[str, Any] | None, currency: str) -> Creditor:
    return Creditor.from_snapshot(snapshot) if snapshot else platform(currency)


def reference(creditor: Creditor, currency: str, number: int) -> str:
    """The payment reference of a document number for this creditor's account."""
    if currency == "CHF" and is_qr_iban(creditor.account):
        return references.qr_reference(number)
    return references.creditor_reference(str(number))
