"""Reading QR codes back from a rendered PDF page, as a customer's banking app would: the page is
rasterized by pdftoppm (Debian poppler-utils) and decoded by zxing-cpp."""

import io
import shutil
import subprocess
import tempfile
from pathlib import Path

import zxingcpp
from PIL import Image
from pypdf import PdfReader


def qr_codes(pdf: bytes, page: int) -> list[str]:
    """The QR codes on ``page`` (1-based), their bytes read as UTF-8."""
    with tempfile.TemporaryDirectory() as folder:
        source = Path(folder) / "document.pdf"
        source.write_bytes(pdf)
        pdftoppm = shutil.which("pdftoppm")
        assert pdftoppm, "pdftoppm (Debian poppler-utils) is needed to read QR codes back"
        subprocess.run(  # noqa: S603 - our own PDF, a fixed command
            [
                pdftoppm,
                "-r",
                "150",
                "-f",
                str(page),
                "-l",
                str(page),
                "-png",
                str(source),
                str(Path(folder) / "page"),
            ],
            check=True,
        )
        [png] = sorted(Path(folder).glob("page*.png"))
        image = Image.open(png)
        image.load()
    found = zxingcpp.read_barcodes(image, formats=zxingcpp.BarcodeFormat.QRCode)
    return [bytes(code.bytes).decode("utf-8") for code in found]


def all_qr_codes(pdf: bytes) -> list[str]:
    pages = len(PdfReader(io.BytesIO(pdf)).pages)
    return [code for page in range(1, pages + 1) for code in qr_codes(pdf, page)]


def text_of(pdf: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
