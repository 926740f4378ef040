"""Bank account numbers: IBAN validation (python-stdnum) and the Swiss QR-IBAN test.

A QR-IBAN is a Swiss or Liechtenstein IBAN whose institution id (positions 5 to 9) lies in
30000 to 31999; only it may be paid with a QR reference (Swiss Payment Standards)."""

from stdnum import iban as stdnum_iban
from stdnum.exceptions import ValidationError


def compact(iban: str) -> str:
    return "".join(iban.split()).upper()


def is_valid(iban: str) -> bool:
    try:
        stdnum_iban.validate(compact(iban))
    except ValidationError:
        return False
    return True


def is_qr_iban(iban: str) -> bool:
    value = compact(iban)
    return value[:2] in ("CH", "LI") and value[4:9].isdigit() and 30000 <= int(value[4:9]) <= 31999
