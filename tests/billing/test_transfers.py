"""Bank transfers from camt.054: matched, mismatched and duplicate entries; importing twice."""

import httpx
from sqlalchemy import select

from app.billing.models import BankTransfer
from app.billing.transfers import parse
from app.core.db import Database
from app.core.money import to_decimal_text
from tests.billing.conftest import balance, customer, make_staff, order, path

HOSTING = {"plan_code": "web_hosting.starter", "period": "monthly", "product_name": "site"}
NS = "urn:iso:std:iso:20022:tech:xsd:camt.054.001.08"


def transaction(ref: str, amount_minor: int, currency: str, reference: str | None) -> str:
    remittance = (
        f"<RmtInf><Strd><CdtrRefInf><Tp><CdOrPrtry><Prtry>QRR</Prtry></CdOrPrtry></Tp>"
        f"<Ref>{reference}</Ref></CdtrRefInf></Strd></RmtInf>"
        if reference
        else "<RmtInf><Ustrd>thanks</Ustrd></RmtInf>"
    )
    return (
        f"<TxDtls><Refs><AcctSvcrRef>{ref}</AcctSvcrRef></Refs>"
        f'<Amt Ccy="{currency}">{to_decimal_text(amount_minor)}</Amt>'
        f"<CdtDbtInd>CRDT</CdtDbtInd>"
        f"<RltdPties><Dbtr><Pty><Nm>Ada Lovelace</Nm></Pty></Dbtr></RltdPties>"
        f"{remittance}</TxDtls>"
    )


def camt054(*transactions: str, debit: bool = False) -> bytes:
    return (
        f'<?xml version="1.0" encoding="UTF-8"?><Document xmlns="{NS}"><BkToCstmrDbtCdtNtfctn>'
        f"<GrpHdr><MsgId>MSG1</MsgId><CreDtTm>2026-11-21T10:00:00</CreDtTm></GrpHdr>"
        f"<Ntfctn><Id>N1</Id><Acct><Id><IBAN>CH4431999123000889012</IBAN></Id></Acct>"
        f'<Ntry><Amt Ccy="CHF">1.00</Amt><CdtDbtInd>{"DBIT" if debit else "CRDT"}</CdtDbtInd>'
        f"<Sts><Cd>BOOK</Cd></Sts><BookgDt><Dt>2026-11-21</Dt></BookgDt>"
        f"<AcctSvcrRef>E1</AcctSvcrRef><BkTxCd/>"
        f"<NtryDtls>{''.join(transactions)}</NtryDtls></Ntry></Ntfctn>"
        f"</BkToCstmrDbtCdtNtfctn></Document>"
    ).encode()


def test_parser_reads_namespaced_credits_and_skips_debits() -> None:
    document = camt054(transaction("T1", 1250, "CHF", "210000000003139471430009017"))
    [credit] = parse(document)
    assert credit.amount_minor == 1250
    assert credit.currency == "CHF"
    assert credit.reference == "210000000003139471430009017"
    assert credit.entry_reference == "T1"
    assert parse(camt054(transaction("T2", 100, "CHF", None), debit=True)) == []


async def test_camt054_with_matched_mismatched_and_duplicate_entries(
    client: httpx.AsyncClient, db: Database, catalog: None, mailbox: object
) -> None:
    staff = await customer(client, db)
    await make_staff(db, staff)
    user = await customer(client, db)
    paid = (await order(client, user, HOSTING))["invoice"]
    short = (await order(client, user, HOSTING))["invoice"]
    cancelled_order = await order(client, user, HOSTING)
    await client.post(path(user, f"/orders/{cancelled_order['id']}/cancel"), headers=user.headers)
    cancelled = cancelled_order["invoice"]
    document = camt054(
        transaction("T-MATCH", paid["total_minor"], "CHF", paid["payment_reference"]),
        transaction("T-SHORT", short["total_minor"] - 100, "CHF", short["payment_reference"]),
        transaction("T-EUR", short["total_minor"], "EUR", short["payment_reference"]),
        transaction("T-CANCELLED", cancelled["total_minor"], "CHF", cancelled["payment_reference"]),
        transaction("T-UNKNOWN", 5000, "CHF", "000000000000000000000000000"),
        transaction("T-MATCH", paid["total_minor"], "CHF", paid["payment_reference"]),
    )
    headers = staff.headers | {"Content-Type": "application/xml"}
    response = await client.post("/v1/admin/bank-transfers", content=document, headers=headers)
    assert response.status_code == 200, response.text
    result = response.json()
    assert result["entries"] == 6
    assert result["imported"] == 5
    assert result["duplicates"] == 1
    assert result["invoice_paid"] == 1
    assert result["credited_to_prepaid"] == 3
    assert result["unassigned"] == 1
    reasons = {t["entry_reference"]: t["reason"] for t in result["transfers"]}
    assert reasons["T-SHORT"] == "amount_mismatch"
    assert reasons["T-EUR"] == "currency_mismatch"
    assert reasons["T-CANCELLED"] == "order_cancelled"

    invoice = await client.get(path(user, f"/invoices/{paid['id']}"), headers=user.headers)
    assert invoice.json()["status"] == "paid"
    still_open = await client.get(path(user, f"/invoices/{short['id']}"), headers=user.headers)
    assert still_open.json()["status"] == "open"
    chf = short["total_minor"] - 100 + cancelled["total_minor"]
    assert await balance(db, user.organization_id, "CHF") == chf
    assert await balance(db, user.organization_id, "EUR") == short["total_minor"]

    again = await client.post("/v1/admin/bank-transfers", content=document, headers=headers)
    assert again.json()["imported"] == 0
    assert again.json()["duplicates"] == 6
    assert await balance(db, user.organization_id, "CHF") == chf
    async with db.sessionmaker() as session:
        count = len(list(await session.scalars(select(BankTransfer))))
    assert count == 5

    await mailbox.deliver(db.sessionmaker)  # type: ignore[attr-defined]
    credited = [
        m
        for m in mailbox.messages_to(user.email)  # type: ignore[attr-defined]
        if "prepaid" in str(m["Subject"]).lower()
    ]
    assert len(credited) == 3


async def test_unassigned_transfer_is_credited_by_staff_once(
    client: httpx.AsyncClient, db: Database, catalog: None
) -> None:
    staff = await customer(client, db)
    await make_staff(db, staff)
    user = await customer(client, db)
    headers = staff.headers | {"Content-Type": "application/xml"}
    result = (
        await client.post(
            "/v1/admin/bank-transfers",
            content=camt054(transaction("T-X", 2000, "CHF", None)),
            headers=headers,
        )
    ).json()
    [transfer] = result["transfers"]
    assert transfer["outcome"] == "unassigned"
    url = f"/v1/admin/bank-transfers/{transfer['id']}/assign"
    body = {"organization_id": str(user.organization_id)}
    assert (await client.post(url, json=body, headers=staff.headers)).status_code == 200
    assert (await client.post(url, json=body, headers=staff.headers)).status_code == 409
    assert await balance(db, user.organization_id) == 2000


async def test_non_staff_cannot_import(client: httpx.AsyncClient, db: Database) -> None:
    user = await customer(client, db)
    response = await client.post(
        "/v1/admin/bank-transfers",
        content=camt054(),
        headers=user.headers | {"Content-Type": "application/xml"},
    )
    assert response.status_code == 403
    assert response.json()["code"] == "platform_staff_only"


async def test_malformed_file_is_a_422(client: httpx.AsyncClient, db: Database) -> None:
    staff = await customer(client, db)
    await make_staff(db, staff)
    response = await client.post(
        "/v1/admin/bank-transfers",
        content=b"<Document><oops>",
        headers=staff.headers | {"Content-Type": "application/xml"},
    )
    assert response.status_code == 422
    assert response.json()["code"] == "invalid_camt_file"
