"""Find crypto addresses in text: one pass to locate candidates, then checksum validation.

Why this shape: a combined "address regex" per chain is slow (dozens of alternatives tried at
every position) and brittle against what real posts do. Instead one pass over a byte mask of
the text (``bytes.translate`` + ``bytes.find``, memory speed) locates runs of >= 12 ASCII
alphanumerics and skips plain words; only those rare runs go to Python: continuation across a
line break, invisible characters slipped into addresses (zero-width spaces, bidi marks, soft
hyphens) and Arabic-Indic digits are handled there, and the cleaned token goes to the per-chain
validators. Offsets stay those of the original text, so the evidence (``as_found``) is exact.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from ledgerhound.osint.chains import Verdict, classify

# Invisible format characters that posts (or copy-paste from RTL text) put inside addresses.
NOISE_CHARS = (
    "\u00ad\u034f\u061c\u180e\u200b\u200c\u200d\u200e\u200f"
    "\u202a\u202b\u202c\u202d\u202e\u2060\u2061\u2062\u2063\u2064"
    "\u2066\u2067\u2068\u2069\ufeff"
)
ARABIC_DIGITS = "\u0660\u0661\u0662\u0663\u0664\u0665\u0666\u0667\u0668\u0669" + "".join(
    chr(c) for c in range(0x06F0, 0x06FA)
)
_DIGIT_TABLE = str.maketrans(ARABIC_DIGITS, "0123456789" * 2)
_DROP_TABLE = str.maketrans("", "", NOISE_CHARS + " \t\r\n")
_CHAR = f"[0-9A-Za-z{NOISE_CHARS}{ARABIC_DIGITS}]"
_BREAK = r"[ \t]*\r?\n[ \t]*"
RUN = re.compile(f"{_CHAR}{{12,}}(?:{_BREAK}{_CHAR}+)*")
# The pass over all the text uses ASCII only (twice as fast); a run touching an invisible
# character or an Arabic-Indic digit is then re-read locally with RUN.
FAST = re.compile(f"[0-9A-Za-z]{{12,}}(?:{_BREAK}[0-9A-Za-z]+)*")
_SPECIAL = frozenset(NOISE_CHARS + ARABIC_DIGITS)
# Byte mask of the UTF-8 text: ASCII alphanumerics -> "a", UTF-8 continuation bytes -> "c",
# everything else -> " ". bytes.translate and bytes.find run at memory speed, so runs of 12
# alphanumerics are located without the regex engine trying every letter of every word.
_MASK = bytes(
    ord("a") if chr(b).isascii() and chr(b).isalnum() else ord("c") if 0x80 <= b < 0xC0 else 32
    for b in range(256)
)
_NEEDLE = b"a" * 12
# Digits and capitals -> "A": a run with none after its first character is a plain word.
_MARKS = bytes(
    ord("A") if chr(b).isascii() and (chr(b).isdigit() or chr(b).isupper()) else 32
    for b in range(256)
)
_MAX_BACK = 200
_SEGMENT = re.compile(f"{_CHAR}+")
_CHARSET = frozenset(
    "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz" + NOISE_CHARS + ARABIC_DIGITS
)
_EDGE = NOISE_CHARS + ARABIC_DIGITS
# first characters of every supported format (a segment starting otherwise is never joined)
_HEADS = frozenset("013456789ABDLMTXbBlLpPqQrtzZ" + NOISE_CHARS + ARABIC_DIGITS)
_MAX_JOIN = 4  # an address cut over more than 4 lines is not seen as one
_MAX_LEN = 110
_CASHADDR_PREFIX = "bitcoincash:"


@dataclass(frozen=True)
class Hit:
    """One candidate found in a text: its verdict and where exactly it was."""

    verdict: Verdict
    start: int
    end: int
    as_found: str
    obfuscation: tuple[str, ...]


def scan(text: str, limit: int | None = None, skip: int = 0) -> list[Hit]:
    """Every address-shaped candidate in ``text`` (valid or not), in order of position.

    Streaming: only runs starting in ``[skip, limit)`` are reported; the text around that
    window is context, owned by the previous or next chunk.
    """
    hits: list[Hit] = []
    stop = len(text) if limit is None else limit
    covered = 0
    for start, end in fast_runs(text):
        if start >= stop:
            break
        if start < covered:
            continue
        if (start and text[start - 1] in _SPECIAL) or (end < len(text) and text[end] in _SPECIAL):
            start, end = _widen(text, start)
        previous_end, covered = covered, max(covered, end)
        if start < skip:
            continue
        spans = [m.span() for m in _SEGMENT.finditer(text, start, end)]
        before = _previous_fragment(text, start)
        if before is not None and before[0] >= previous_end:  # never re-read an earlier run
            spans.insert(0, before)
        hits.extend(_resolve(text, spans))
    return hits


def fast_runs(text: str) -> Iterator[tuple[int, int]]:
    """The spans of ``FAST.finditer(text)`` that can hold an address, found via byte masks.

    Skipped without touching the text: plain words (no digit or capital after the first
    letter: ``internationalization``, ``Counterintelligence``), unless a line break or a
    non-ASCII character (an invisible mark) touches them. Every address format has a digit or
    capital there, except with a negligible probability.
    """
    data = text.encode("utf-8", "surrogatepass")
    mask = data.translate(_MASK)
    find, marks_find = mask.find, data.translate(_MARKS).find  # bound once: the loop is hot
    ascii_only = len(data) == len(text)
    size = len(data)
    byte_pos = byte_base = char_base = 0
    while True:
        found = find(_NEEDLE, byte_pos)
        if found < 0:
            return
        run_end = find(b" ", found)
        if run_end < 0:
            run_end = size
        if marks_find(b"A", found + 1, run_end) < 0:  # a plain word: skip it if isolated
            before = data[found - 1] if found else 32
            if before < 0x80 and before != 10 and (run_end == size or data[run_end] < 0x80):
                byte_pos = run_end
                continue
        if ascii_only:
            start = found
        else:
            start = char_base + (found - byte_base) - mask.count(b"c", byte_base, found)
        match = FAST.match(text, start)
        if match is None:  # pragma: no cover - the mask guarantees 12 alphanumerics here
            raise AssertionError(f"byte mask and text disagree at {start}")
        end = match.end()
        yield start, end
        byte_pos = found + (end - start)  # FAST matches ASCII only: bytes == characters
        byte_base, char_base = byte_pos, end


def _widen(text: str, start: int) -> tuple[int, int]:
    """The full run (invisible characters, Arabic-Indic digits included) around ``start``."""
    head = start
    while head > 0 and start - head < _MAX_BACK and text[head - 1] in _CHARSET:
        head -= 1
    match = RUN.match(text, head)
    return match.span() if match else (start, start)


def _previous_fragment(text: str, start: int) -> tuple[int, int] | None:
    """A short fragment on the line above that may be the head of a cut address."""
    i = start - 1
    while i >= 0 and text[i] in " \t":
        i -= 1
    if i < 1 or text[i] != "\n" or not text[i - 1 - (text[i - 1] == "\r")].isalnum():
        return None
    end = i - (text[i - 1] == "\r")
    head = end
    while head > 0 and end - head < 40 and text[head - 1] in _CHARSET:
        head -= 1
    if head == end or end - head >= 40:
        return None
    return head, end


def _resolve(text: str, spans: list[tuple[int, int]]) -> list[Hit]:
    """Split a run's line segments into addresses: the shortest valid join wins."""
    hits: list[Hit] = []
    i = 0
    while i < len(spans):
        alone = _candidate(text, *spans[i])
        if alone is not None and alone.verdict.valid:
            hits.append(alone)
            i += 1
            continue
        joined = _join(text, spans, i) if text[spans[i][0]] in _HEADS else None
        if joined is not None:
            i, hit = joined
            hits.append(hit)
            continue
        if alone is not None and _worth_reporting(alone.verdict.address):
            hits.append(alone)
        i += 1
    return hits


def _join(text: str, spans: list[tuple[int, int]], i: int) -> tuple[int, Hit] | None:
    """The first valid join of segment ``i`` with the next 1-3 lines: (next index, hit)."""
    for j in range(i + 1, min(i + _MAX_JOIN, len(spans))):
        if spans[j][1] - spans[i][0] > _MAX_LEN + 8 * (j - i):
            return None
        hit = _candidate(text, spans[i][0], spans[j][1])
        if hit is not None and hit.verdict.valid:
            return j + 1, hit
    return None


def _candidate(text: str, start: int, end: int) -> Hit | None:
    raw = text[start:end]
    if raw.isascii():  # the common case: no invisible character, no Arabic-Indic digit
        token = raw if raw.isalnum() else "".join(raw.split())
        verdict = classify(token) if 14 <= len(token) <= _MAX_LEN else None
        if verdict is None or verdict.chain == "BCH" or token is not raw:
            return _finish_candidate(text, start, end, raw, raw, verdict)
        return Hit(verdict, start, end, raw, ())
    stripped = raw.lstrip(_EDGE)
    start += len(raw) - len(stripped)
    core = stripped.rstrip(_EDGE)
    end -= len(stripped) - len(core)
    token = core.translate(_DROP_TABLE)
    if len(token) < 14 or len(token) > _MAX_LEN:
        return None
    token = token.translate(_DIGIT_TABLE)
    return _finish_candidate(text, start, end, raw, core, classify(token))


def _finish_candidate(
    text: str, start: int, end: int, raw: str, core: str, verdict: Verdict | None
) -> Hit | None:
    if verdict is None:
        return None
    if verdict.chain == "BCH":
        verdict = _with_cashaddr_prefix(verdict)
        head = start - len(_CASHADDR_PREFIX)
        if head >= 0 and text[head:start].lower() == _CASHADDR_PREFIX:
            start = head
    return Hit(verdict, start, end, text[start:end], _obfuscation(raw, core))


def _with_cashaddr_prefix(v: Verdict) -> Verdict:
    address = _CASHADDR_PREFIX + v.address.lower()
    return Verdict(address, v.chain, v.kind, v.valid, v.checksum, v.reason)


def _obfuscation(raw: str, core: str) -> tuple[str, ...]:
    """What was undone to read the address, named so the evidence stays honest."""
    found = []
    if any(c in core for c in "\n\r"):
        found.append("line-break")
    if any(c in core for c in "\u200b\u200c\u200d\u2060\ufeff\u00ad\u034f\u180e"):
        found.append("zero-width")
    if any(c in core for c in "\u200e\u200f\u061c\u202a\u202b\u202c\u202d\u202e\u2066\u2067"):
        found.append("bidi-mark")
    if any(c in core for c in ARABIC_DIGITS):
        found.append("arabic-indic-digits")
    return tuple(found)


def _worth_reporting(token: str) -> bool:
    """Invalid candidates are listed only if they mix letters and digits (not plain words)."""
    return any(c.isdigit() for c in token) and any(c.isalpha() for c in token[2:])
