"""Open-source intake: crypto addresses in posts, pages and channel exports, and whether the
post asks for money. See ``docs/methods/osint.md``.

Library API: :func:`extract` (paths, directories or ``-``) and :func:`extract_text` return the
same JSON-ready dict the CLI prints; :func:`classify` validates one address token;
:func:`assess` scores one post's text.
"""

from ledgerhound.osint.chains import Verdict, classify
from ledgerhound.osint.report import extract, extract_text
from ledgerhound.osint.solicitation import Assessment, assess

__all__ = ["Assessment", "Verdict", "assess", "classify", "extract", "extract_text"]
