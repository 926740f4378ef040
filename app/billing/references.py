"""Payment references printed on invoices and read back from bank notifications.

- CHF: the Swiss QR reference (QRR): 27 digits, the last a modulo 10 recursive check digit; it
  goes with a QR-IBAN.
- EUR: the ISO 11649 creditor reference (SCOR): ``RF`` + 2 check digits (ISO 7064 mod 97-10) + up
  to 21 alphanumeric characters.
"""

import re

_MOD10_TABLE = (0, 9, 4, 6, 8, 2, 7, 1, 3, 5)
_RF_BODY = re.compile(r"^[A-Z0-9]{1,21}$")


def mod10_recursive(digits: str) -> int:
    """The check digit of the Swiss modulo 10 recursive algorithm."""
    carry = 0
    for digit in digits:
        carry = _MOD10_TABLE[(carry + int(digit)) % 10]
    return (10 - carry) % 10


def qr_reference(number: int) -> str:
    """The 27-digit QR reference for a document number (26 digits + check digit)."""
    body = f"{number:026d}"
    if len(body) != 26:
        raise ValueError("number too large for a QR reference")
    return body + str(mod10_recursive(body))


def is_valid_qr_reference(reference: str) -> bool:
    value = normalize(reference)
    return len(value) == 27 and value.isdigit() and mod10_recursive(value[:26]) == int(value[26])


def _as_number(text: str) -> int:
    return int("".join(str(int(char, 36)) for char in text))


def creditor_reference(body: str) -> str:
    """The ISO 11649 reference ``RFkk<body>``."""
    body = normalize(body)
    if not _RF_BODY.match(body):
        raise ValueError("a creditor reference body is 1 to 21 letters or digits")
    check = 98 - _as_number(body + "RF00") % 97
    return f"RF{check:02d}{body}"


def is_valid_creditor_reference(reference: str) -> bool:
    value = normalize(reference)
    if not value.startswith("RF") or len(value) < 5 or not _RF_BODY.match(value[4:]):
        return False
    if not value[2:4].isdigit():
        return False
    return _as_number(value[4:] + value[:4]) % 97 == 1


def normalize(reference: str) -> str:
    """Without spaces, upper case: how references are compared."""
    return "".join(reference.split()).upper()


def for_currency(currency: str, number: int) -> str:
    """The reference of a document number in the scheme of its currency."""
    return qr_reference(number) if currency == "CHF" else creditor_reference(str(number))


def grouped(reference: str) -> str:
    """How a reference is printed: QR references in 2 + 5 x 5 digits, RF in blocks of 4."""
    value = normalize(reference)
    if value.isdigit() and len(value) == 27:
        return value[:2] + " " + " ".join(value[i : i + 5] for i in range(2, 27, 5))
    return " ".join(value[i : i + 4] for i in range(0, len(value), 4))
