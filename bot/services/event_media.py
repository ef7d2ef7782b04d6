"""QR code and printable poster for an event's deep link.

Pure helpers (no Telegram, no database): ``qr_png`` draws the link as a PNG QR code with segno,
``poster_pdf`` lays out a one-page A4 poster with fpdf2 around that code. Text uses the DejaVu
fonts the bot ships (``bot/data/fonts``), so any Unicode event name (umlauts, Greek, dashes) is
printed.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import TYPE_CHECKING

# segno and fpdf2 (with fontTools) are imported where they are used, in the worker thread that
# draws: the bot's start does not pay for them.
if TYPE_CHECKING:
    from fpdf import FPDF

QR_TARGET_PX = 700
QR_BORDER = 4
FONT_DIR = Path(__file__).resolve().parent.parent / "data" / "fonts"  # DejaVu Sans (and Bold)
FONT = "DejaVu"

PAGE_W, PAGE_H = 210.0, 297.0  # A4 portrait, mm
MARGIN = 15.0
TEXT_W = PAGE_W - 2 * MARGIN
QR_MM, QR_MIN_MM = 120.0, 70.0
GAP = 6.0
LINE = 1.3  # line height as a multiple of the font size
PT = 25.4 / 72  # mm per point
TITLE_SIZES = range(34, 11, -2)  # pt, largest first
TITLE_MAX_LINES = 3
WHEN_PT, INSTR_PT, LINK_PT = 15, 12, 9


def qr_png(link: str) -> bytes:
    """A PNG QR code of ``link``, dark on white, about 700 px wide with a 4-module border."""
    import segno

    qr = segno.make(link, error="m", micro=False)
    modules, _ = qr.symbol_size(scale=1, border=QR_BORDER)
    scale = max(1, round(QR_TARGET_PX / modules))
    buf = io.BytesIO()
    qr.save(buf, kind="png", scale=scale, border=QR_BORDER, dark="black", light="white")
    return buf.getvalue()


def _height(pdf: FPDF, text: str, size: float, *, bold: bool = False) -> float:
    """Height in mm of ``text`` wrapped to the text width at ``size`` pt."""
    pdf.set_font(FONT, "B" if bold else "", size)
    lines = pdf.multi_cell(TEXT_W, size * PT * LINE, text, dry_run=True, output="LINES")
    return len(lines) * size * PT * LINE


def _write(pdf: FPDF, text: str, size: float, *, bold: bool = False) -> None:
    from fpdf.enums import Align, XPos, YPos

    pdf.set_font(FONT, "B" if bold else "", size)
    pdf.set_x(MARGIN)
    pdf.multi_cell(
        TEXT_W, size * PT * LINE, text, align=Align.C, new_x=XPos.LMARGIN, new_y=YPos.NEXT
    )


def _fit_title(pdf: FPDF, name: str, room: float) -> tuple[str, float]:
    """The largest title size that fits ``room`` mm (shortening the name as a last resort)."""
    for size in TITLE_SIZES:
        height = _height(pdf, name, size, bold=True)
        if height <= room and height <= TITLE_MAX_LINES * size * PT * LINE:
            return name, size
    for size in TITLE_SIZES:
        if _height(pdf, name, size, bold=True) <= room:
            return name, size
    size = TITLE_SIZES[-1]
    short, long = 0, len(name)  # the longest prefix that fits lies in [short, long)
    while long - short > 1:
        middle = (short + long) // 2
        if _height(pdf, name[:middle].rstrip() + "…", size, bold=True) <= room:
            short = middle
        else:
            long = middle
    return name[:short].rstrip() + "…", size


def poster_pdf(
    *, event_name: str, when: str, where: str, link: str, instructions: list[str]
) -> bytes:
    """A one-page A4 poster: title, when/where, a large QR code, instructions and the link."""
    from fpdf import FPDF

    pdf = FPDF(orientation="portrait", unit="mm", format="A4")
    pdf.add_font(FONT, "", str(FONT_DIR / "DejaVuSans.ttf"))
    pdf.add_font(FONT, "B", str(FONT_DIR / "DejaVuSans-Bold.ttf"))
    pdf.set_title(event_name)
    pdf.set_creator("cxbot")
    pdf.set_auto_page_break(auto=False)
    pdf.set_margins(MARGIN, MARGIN, MARGIN)
    pdf.c_margin = 0
    pdf.add_page()

    details = [line for line in (when, where) if line]
    below = [line for line in instructions if line]
    details_h = sum(_height(pdf, line, WHEN_PT) for line in details)
    below_h = sum(_height(pdf, line, INSTR_PT) for line in below)
    link_h = _height(pdf, link, LINK_PT)
    text_h = details_h + below_h + link_h + 4 * GAP
    room = PAGE_H - 2 * MARGIN - text_h
    qr_mm = max(QR_MIN_MM, min(QR_MM, room - 3 * LINE * TITLE_SIZES[0] * PT))
    title, title_pt = _fit_title(pdf, event_name, room - qr_mm)
    total = _height(pdf, title, title_pt, bold=True) + qr_mm + text_h

    pdf.set_y(max(MARGIN, (PAGE_H - total) / 2))
    _write(pdf, title, title_pt, bold=True)
    pdf.ln(GAP)
    for line in details:
        _write(pdf, line, WHEN_PT)
    pdf.ln(GAP)
    top = pdf.get_y()
    pdf.image(io.BytesIO(qr_png(link)), x=(PAGE_W - qr_mm) / 2, y=top, w=qr_mm, h=qr_mm)
    pdf.set_y(top + qr_mm + GAP)
    for line in below:
        _write(pdf, line, INSTR_PT)
    pdf.ln(GAP)
    pdf.set_text_color(80, 80, 80)
    _write(pdf, link, LINK_PT)
    return bytes(pdf.output())
