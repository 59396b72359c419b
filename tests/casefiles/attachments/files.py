"""Small real files of each kind, made in the test (no fixtures on disk)."""
from __future__ import annotations

import io
import zipfile

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\x00" * 17
TEXT = "Schuldenoverzicht: € 12.400 bij 7 schuldeisers.\r\n".encode()
EXE = b"MZ\x90\x00" + b"\x00" * 60
HTML = b"<html><script>alert(1)</script></html>\x00"


def ooxml(main: str = "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml",
          macro: bool = False) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        extra = '<Default Extension="bin" ContentType="application/vnd.ms-office.vbaProject"/>' if macro else ""
        z.writestr(zipfile.ZipInfo("[Content_Types].xml"), f'<?xml version="1.0"?><Types>{extra}<Override PartName="/word/document.xml" '
                                          f'ContentType="{main}"/></Types>')
        z.writestr(zipfile.ZipInfo("word/document.xml"), "<w:document/>")
        if macro:
            z.writestr("word/vbaProject.bin", b"\x00")
    return out.getvalue()


def odf(mimetype: str = "application/vnd.oasis.opendocument.text") -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        z.writestr(zipfile.ZipInfo("mimetype"), mimetype)
        z.writestr(zipfile.ZipInfo("content.xml"), "<office:document-content/>")  # fixed date: same bytes each call
    return out.getvalue()


def plain_zip() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        z.writestr("run.sh", "echo hi")
    return out.getvalue()
