"""Event QR code and poster: the code decodes to the link, the poster is one A4 page."""

from __future__ import annotations

import io

import pypdf
import pytest
import zxingcpp
from PIL import Image

from bot.services.event_media import poster_pdf, qr_png

LINK = "https://t.me/cxbot_demo_bot?start=ev_AbC123xYz_-9"
INSTRUCTIONS = [
    "Scan the code with your phone camera to join in Telegram.",
    "Scannen Sie den Code mit der Handykamera, um in Telegram teilzunehmen.",
]
A4 = (595.28, 841.89)


def decode(image: Image.Image) -> list[str]:
    return [barcode.text for barcode in zxingcpp.read_barcodes(image)]


def words(text: str) -> list[str]:
    return text.split()


def poster(name: str, **overrides: object) -> bytes:
    args: dict = {
        "event_name": name,
        "when": "Tue 4 May 2027, 09:00–17:00",
        "where": "Messe Münster, Halle 2",
        "link": LINK,
        "instructions": INSTRUCTIONS,
    }
    args.update(overrides)
    return poster_pdf(**args)


def test_qr_png_decodes_to_the_link() -> None:
    data = qr_png(LINK)
    assert data.startswith(b"\x89PNG\r\n\x1a\n")
    image = Image.open(io.BytesIO(data))
    width, height = image.size
    assert width == height
    assert 600 <= width <= 800
    assert decode(image) == [LINK]


@pytest.mark.parametrize("link", ["https://t.me/b?start=x", LINK + "_" + "a" * 200])
def test_qr_png_size_for_short_and_long_links(link: str) -> None:
    image = Image.open(io.BytesIO(qr_png(link)))
    assert 600 <= image.size[0] <= 800
    assert decode(image) == [link]


def check_poster(data: bytes, name: str) -> pypdf.PageObject:
    assert data.startswith(b"%PDF-")
    reader = pypdf.PdfReader(io.BytesIO(data))
    assert len(reader.pages) == 1
    page = reader.pages[0]
    box = page.mediabox
    assert float(box.width) == pytest.approx(A4[0], abs=1)
    assert float(box.height) == pytest.approx(A4[1], abs=1)
    assert reader.metadata is not None and (reader.metadata.title or "") == name
    heights: list[float] = []

    def visit(text: str, cm: list[float], tm: list[float], _font: object, _size: float) -> None:
        if text.strip():
            heights.append(pypdf.mult(tm, cm)[5])

    page.extract_text(visitor_text=visit)
    assert heights and all(0 < y < A4[1] for y in heights)  # no text runs off the page
    images = list(page.images)
    assert images
    assert LINK in [text for image in images for text in decode(image.image)]
    return page


def test_poster_is_one_a4_page_with_everything_on_it() -> None:
    name = "Brokerage-Tag Münster – Ελλάδα"
    page = check_poster(poster(name), name)
    text = page.extract_text()
    flat = " ".join(words(text))
    assert " ".join(words(name)) in flat
    assert "Tue 4 May 2027, 09:00–17:00" in text
    assert "Messe Münster, Halle 2" in text
    for line in INSTRUCTIONS:
        assert line in flat
    assert LINK in text


def test_poster_with_a_very_long_unicode_name() -> None:
    name = (
        "Große Brokerage-Veranstaltung für Cluster-Kooperation: café européen, Ελληνική "
        "συνεργασία και καινοτομία, Straße der Zukunft und Süßwaren-Innovation 2027"
    )
    assert len(name) >= 150
    page = check_poster(poster(name), name)
    text = page.extract_text()
    assert words(name) == words(text)[: len(words(name))]
    assert LINK in text


@pytest.mark.parametrize("name", ["x" * 3000, "Workshop " * 400, ""])
def test_poster_stays_on_one_page_whatever_the_name(name: str) -> None:
    check_poster(poster(name), name)


def test_poster_without_when_and_where() -> None:
    page = check_poster(poster("Matchmaking", when="", where=""), "Matchmaking")
    assert "Matchmaking" in page.extract_text()
