"""Reading the archive copies back with other libraries than the one that made them: pikepdf
(PDF/A identification in the XMP metadata, language, fonts, embedded files) and pypdf (text)."""
from __future__ import annotations

import io

import pikepdf
import pypdf

#: The faces of the fonts shipped in static/fonts, as the documents name them.
SHIPPED_FONTS = {"Document-Sans", "Document-Sans-Bold", "Document-Sans-Italic", "Document-Sans-BoldItalic",
                 "Document-Mono"}


def read_pdf(body: bytes) -> dict:
    pdf = pikepdf.open(io.BytesIO(body))
    with pdf.open_metadata() as xmp:
        meta = {k: xmp.get(k) for k in ("pdfaid:part", "pdfaid:conformance", "dc:title")}
    fonts = {}
    for page in pdf.pages:
        for _name, font in page.Resources.get("/Font", {}).items():
            desc = font.DescendantFonts[0].FontDescriptor if "/DescendantFonts" in font else font.FontDescriptor
            fonts[str(font.BaseFont).split("+")[-1]] = any(k in desc for k in ("/FontFile", "/FontFile2", "/FontFile3"))
    files = {name: spec.get_file().read_bytes() for name, spec in pdf.attachments.items()}
    text = "\n".join(p.extract_text() for p in pypdf.PdfReader(io.BytesIO(body)).pages)
    return {**meta, "lang": str(pdf.Root.Lang), "tagged": "/StructTreeRoot" in pdf.Root, "fonts": fonts,
            "files": files, "text": " ".join(text.split())}


def assert_archive_pdf(body: bytes, part: str = "2") -> dict:
    """A PDF/A-<part>u in Dutch, tagged, with only the shipped fonts, all embedded."""
    seen = read_pdf(body)
    assert (seen["pdfaid:part"], seen["pdfaid:conformance"]) == (part, "U")
    assert seen["lang"] == "nl" and seen["tagged"] and seen["dc:title"]
    assert seen["fonts"] and all(seen["fonts"].values()), seen["fonts"]
    assert set(seen["fonts"]) <= SHIPPED_FONTS, seen["fonts"]
    return seen
