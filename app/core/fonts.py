"""The font of generated PDFs: DejaVu Sans (Debian fonts-dejavu-core) embedded, so every
character of a name prints; where the font is not installed, the PDF core font with what Latin-1
cannot show replaced (a warning is logged once)."""

from dataclasses import dataclass
from functools import cache
from pathlib import Path

import structlog
from fpdf import FPDF

FONT_DIRS = (Path("/usr/share/fonts/truetype/dejavu"), Path("/usr/share/fonts/dejavu"))
FAMILY = "DejaVu"
_REPLACEMENTS = {"\u2019": "'", "\u2018": "'", "\u201c": '"', "\u201d": '"', "\u2013": "-",
                 "\u2014": "-", "\u2026": "...", "\u2192": "->"}  # fmt: skip

log = structlog.get_logger("app.core.fonts")


@cache
def _font_files() -> tuple[Path, Path] | None:
    for folder in FONT_DIRS:
        regular, bold = folder / "DejaVuSans.ttf", folder / "DejaVuSans-Bold.ttf"
        if regular.is_file() and bold.is_file():
            return regular, bold
    log.warning("unicode_font_missing", looked_in=[str(folder) for folder in FONT_DIRS])
    return None


@dataclass(frozen=True)
class Typeface:
    family: str
    unicode: bool

    def text(self, text: str) -> str:
        """``text`` as this typeface can draw it."""
        if self.unicode:
            return text
        for char, replacement in _REPLACEMENTS.items():
            text = text.replace(char, replacement)
        return text.encode("latin-1", "replace").decode("latin-1")


def typeface(pdf: FPDF) -> Typeface:
    """Registers the Unicode font with ``pdf`` when it is installed; the typeface to draw with."""
    files = _font_files()
    if files is None:
        return Typeface("helvetica", unicode=False)
    pdf.add_font(FAMILY, "", str(files[0]))
    pdf.add_font(FAMILY, "B", str(files[1]))
    return Typeface(FAMILY, unicode=True)
