#!/usr/bin/env python3
"""Fill untranslated entries of the Dutch catalogue from a file of ``msgid|msgstr`` lines, and
list the entries still untranslated. Usage: scripts/fill_translations.py FILE"""
from __future__ import annotations

import sys
from pathlib import Path

from babel.messages.pofile import read_po, write_po

PO = Path(__file__).resolve().parents[1] / "translations" / "nl" / "LC_MESSAGES" / "messages.po"


def main(source: str) -> int:
    pairs = dict(line.split("|", 1) for line in Path(source).read_text().splitlines() if "|" in line)
    with PO.open("rb") as f:
        catalog = read_po(f)
    for message in catalog:
        if message.id and not message.string and message.id in pairs:
            message.string = pairs[message.id]
    missing = [m.id for m in catalog if m.id and not m.string]
    with PO.open("wb") as f:
        write_po(f, catalog, width=100, omit_header=False)
    for m in missing:
        print("untranslated:", m)
    return 1 if missing else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
