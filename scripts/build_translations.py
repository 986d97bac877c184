"""Build the gettext catalogs of the public pages: `python scripts/build_translations.py`.

Extracts the strings the templates wrap in `_()` and `ngettext()` (babel.cfg: the public pages
and the emails to patients), adds the words that reach the templates as values (the keys of
`intake.public.spanish.SPANISH`, the subjects of patient emails among them), writes
intake/translations/es/LC_MESSAGES/messages.po and compiles messages.mo beside it. Exits 1 when
a string of the templates has no Spanish, so a new English string cannot slip through untranslated.
`make` runs it (install, run, test); the .mo is a build product and is not kept in git.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import write_mo
from babel.messages.pofile import write_po

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from intake.public.spanish import SPANISH, SPANISH_PLURALS  # noqa: E402 - after the path is set

OUT = ROOT / "intake" / "translations" / "es" / "LC_MESSAGES"


def collapse(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def main() -> int:
    with open(ROOT / "babel.cfg", encoding="utf-8") as cfg:
        method_map, options_map = parse_mapping_cfg(cfg)
    catalog = Catalog(locale="es", project="Wayfinder", charset="utf-8")
    spanish = {collapse(k): v for k, v in SPANISH.items()}
    missing: list[str] = []
    for filename, lineno, message, _comments, _context in extract_from_dir(
        str(ROOT), method_map, options_map
    ):
        if isinstance(message, tuple):  # ngettext: (one, many, other) from SPANISH_PLURALS
            singular, plural = message[0], message[1]
            forms = SPANISH_PLURALS.get(collapse(singular))
            if forms is None:
                missing.append(f"{filename}:{lineno}: {singular!r} (plural)")
            catalog.add((singular, plural), forms or ("", "", ""), locations=[(filename, lineno)])
            continue
        found = spanish.get(collapse(message))
        if found is None:
            missing.append(f"{filename}:{lineno}: {message!r}")
        catalog.add(message, found or "", locations=[(filename, lineno)])
    for english, words in SPANISH.items():
        if english not in catalog:
            catalog.add(english, words)
    if missing:
        print("No Spanish for:\n  " + "\n  ".join(missing), file=sys.stderr)
        return 1
    OUT.mkdir(parents=True, exist_ok=True)
    with open(OUT / "messages.po", "wb") as po:
        write_po(po, catalog, width=100)
    with open(OUT / "messages.mo", "wb") as mo:
        write_mo(mo, catalog)
    print(f"intake/translations/es: {len(catalog)} messages")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
