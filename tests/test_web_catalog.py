"""Every text of the staff pages exists in Chinese: the catalog covers all strings the code marks."""

import subprocess
import sys
from pathlib import Path

from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent.parent
CATALOG = ROOT / "web" / "translations" / "zh" / "LC_MESSAGES" / "messages.po"


def test_every_marked_text_has_a_chinese_translation(tmp_path):
    template = tmp_path / "messages.pot"
    subprocess.run([sys.executable, "-m", "babel.messages.frontend", "extract", "-F", "web/babel.cfg", "-k", "_l",
                    "-k", "lazy_gettext", "--no-location", "-o", str(template), "."],
                   cwd=ROOT, check=True, capture_output=True)
    marked = {m.id for m in read_po(template.open("rb")) if m.id}
    translated = {m.id: m.string for m in read_po(CATALOG.open("rb"), locale="zh_CN") if m.id}
    missing = sorted(text for text in marked if not translated.get(text))
    assert missing == [], f"add these to {CATALOG.relative_to(ROOT)}: {missing}"
