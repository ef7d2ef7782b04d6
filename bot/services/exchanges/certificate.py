"""The certificate of participation: a one-page A4 PDF drawn with fpdf2 from texts already
written in the reader's language (no Telegram, no database). DejaVu (shipped in bot/data/fonts)
prints any name: umlauts, diacritics, Greek."""

from __future__ import annotations

from dataclasses import dataclass

from bot.services.event_media import FONT, FONT_DIR

PAGE_W = 210.0
MARGIN = 20.0
TEXT_W = PAGE_W - 2 * MARGIN


@dataclass(frozen=True)
class CertificateText:
    """What the certificate says, in the reader's language."""

    title: str  # "Certificate of participation"
    scheme: str  # "ClusterXchange …"
    body: list[str]  # the sentences naming both organisations
    details: list[tuple[str, str]]  # (label, value): dates, place, partnership …
    footer: str  # issued on …


def certificate_pdf(text: CertificateText) -> bytes:
    """The certificate as PDF bytes."""
    from fpdf import FPDF
    from fpdf.enums import Align, XPos, YPos

    pdf = FPDF(orientation="portrait", unit="mm", format="A4")
    pdf.add_font(FONT, "", str(FONT_DIR / "DejaVuSans.ttf"))
    pdf.add_font(FONT, "B", str(FONT_DIR / "DejaVuSans-Bold.ttf"))
    pdf.set_title(text.title)
    pdf.set_creator("cxbot")
    pdf.set_margins(MARGIN, MARGIN, MARGIN)
    pdf.set_auto_page_break(auto=True, margin=MARGIN)
    pdf.add_page()

    def block(value: str, size: float, *, bold: bool = False, gap: float = 4.0) -> None:
        pdf.set_font(FONT, "B" if bold else "", size)
        pdf.set_x(MARGIN)
        pdf.multi_cell(
            TEXT_W, size * 0.5, value, align=Align.C, new_x=XPos.LMARGIN, new_y=YPos.NEXT
        )
        pdf.ln(gap)

    pdf.set_y(45)
    pdf.set_text_color(20, 60, 120)
    block(text.title, 26, bold=True, gap=6)
    pdf.set_text_color(0, 0, 0)
    block(text.scheme, 13, gap=14)
    for sentence in text.body:
        block(sentence, 13, gap=6)
    pdf.ln(6)
    for label, value in text.details:
        pdf.set_x(MARGIN)
        pdf.set_font(FONT, "B", 11)
        pdf.cell(55, 7, label, new_x=XPos.RIGHT, new_y=YPos.TOP)
        pdf.set_font(FONT, "", 11)
        pdf.multi_cell(TEXT_W - 55, 7, value, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(20)
    pdf.set_text_color(90, 90, 90)
    block(text.footer, 10)
    return bytes(pdf.output())
