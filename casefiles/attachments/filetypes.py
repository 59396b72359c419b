"""What a file is, from its content (never its name): the types a case may carry.

A small signature check of our own (no libmagic): PDF, PNG, JPEG, GIF, WebP; Office Open XML
(.docx, .xlsx, .pptx) and OpenDocument (.odt, .ods, .odp) by looking inside the zip; plain text
as UTF-8 without control characters. Anything else, macro-enabled office files and the old
binary office formats included, is refused.
"""
from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass


@dataclass(frozen=True)
class FileType:
    mimetype: str
    extension: str
    label: str
    also: tuple[str, ...] = ()
    """Other extensions a file of this type may carry in its name."""

    @property
    def extensions(self) -> set[str]:
        return {self.extension, *self.also}


PDF = FileType("application/pdf", "pdf", "PDF")
PNG = FileType("image/png", "png", "PNG")
JPEG = FileType("image/jpeg", "jpg", "JPEG", ("jpeg",))
GIF = FileType("image/gif", "gif", "GIF")
WEBP = FileType("image/webp", "webp", "WebP")
TEXT = FileType("text/plain", "txt", "Text", ("csv", "md"))
DOCX = FileType("application/vnd.openxmlformats-officedocument.wordprocessingml.document", "docx", "Word")
XLSX = FileType("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "xlsx", "Excel")
PPTX = FileType("application/vnd.openxmlformats-officedocument.presentationml.presentation", "pptx", "PowerPoint")
ODT = FileType("application/vnd.oasis.opendocument.text", "odt", "OpenDocument text")
ODS = FileType("application/vnd.oasis.opendocument.spreadsheet", "ods", "OpenDocument spreadsheet")
ODP = FileType("application/vnd.oasis.opendocument.presentation", "odp", "OpenDocument presentation")

ALLOWED = (PDF, PNG, JPEG, GIF, WEBP, TEXT, DOCX, XLSX, PPTX, ODT, ODS, ODP)
BY_MIMETYPE = {t.mimetype: t for t in ALLOWED}

#: The main part of each Office Open XML kind, as [Content_Types].xml names it (macro-free).
_OOXML_MAIN = {
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml": DOCX,
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml": XLSX,
    "application/vnd.openxmlformats-officedocument.presentationml.presentation.main+xml": PPTX,
}
_ODF = {t.mimetype: t for t in (ODT, ODS, ODP)}
#: Text: tab, line feed, carriage return and form feed are the only control characters.
_TEXT_CONTROLS = {9, 10, 12, 13}


def _zip_type(data: bytes) -> FileType | None:
    try:
        z = zipfile.ZipFile(io.BytesIO(data))
        names = z.namelist()
        if names and names[0] == "mimetype":
            info = z.getinfo("mimetype")
            if info.file_size <= 100:
                return _ODF.get(z.read("mimetype").decode("ascii", "replace").strip())
        if "[Content_Types].xml" in names and z.getinfo("[Content_Types].xml").file_size <= 200_000:
            types = z.read("[Content_Types].xml").decode("utf-8", "replace")
            if "vbaProject" in types or "macroEnabled" in types or any(n.endswith("vbaProject.bin") for n in names):
                return None
            for main, kind in _OOXML_MAIN.items():
                if f'ContentType="{main}"' in types:
                    return kind
    except (zipfile.BadZipFile, KeyError, ValueError, OSError):
        return None
    return None


def _is_text(data: bytes) -> bool:
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return not any(ord(ch) < 32 and ord(ch) not in _TEXT_CONTROLS or ord(ch) == 127 for ch in text)


def detect(data: bytes) -> FileType | None:
    """The file's type from its content, or None when it is not one the case may carry."""
    if data.startswith(b"%PDF-"):
        return PDF
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if data.startswith(b"\xff\xd8\xff"):
        return JPEG
    if data.startswith((b"GIF87a", b"GIF89a")):
        return GIF
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return WEBP
    if data.startswith(b"PK\x03\x04"):
        return _zip_type(data)
    if data and _is_text(data):
        return TEXT
    return None
