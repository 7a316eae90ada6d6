"""Assemble the public JSON result of ``osint extract``: items, invalid candidates, verdicts.

Output is deterministic: inputs are read in a fixed order and nothing depends on time, hash
order or the machine. Each item carries its evidence (``as_found``, offset, what obfuscation was
undone) and the verdict of the post it came from, with the cues that explain the verdict.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from ledgerhound.osint.inputs import Piece, Post, iter_pieces
from ledgerhound.osint.scanner import NOISE_CHARS, Hit, scan
from ledgerhound.osint.solicitation import STOREFRONT_MIN, THRESHOLD, Assessment, assess

CONTEXT_CHARS = 80
WINDOW_CHARS = 500  # beyond WHOLE_TEXT_MAX, cues are read within this distance of a candidate
WHOLE_TEXT_MAX = 64 << 10  # posts up to 64 KiB are judged on their whole text
ASSESS_MAX = 256 << 10  # bounded cost and memory: at most 256 KiB of a post is ever scored
_CLEAN = str.maketrans("", "", NOISE_CHARS)

METHOD = {
    "detectors": "checksum-validated: BTC base58check+bech32/bech32m, ETH/EVM EIP-55, TRX, LTC, "
    "DOGE, DASH, BCH CashAddr, ZEC transparent, XMR (keccak checksum), XRP",
    "solicitation": f"cue scoring (Arabic+English); solicitation = call/giving cue and score >= "
    f"{THRESHOLD}; storefront = >= {STOREFRONT_MIN} scam claim indicators",
    "confidence": "heuristic: checksums prove an address is well-formed, not who controls it",
    "docs": "docs/methods/osint.md",
}


class _PostState:
    """Candidates and assessment text gathered for one post until the post ends."""

    def __init__(self, post: Post) -> None:
        self.post = post
        self.found: list[tuple[Piece, Hit]] = []
        self.texts: list[str] = []
        self.size = 0

    def add(self, piece: Piece, hits: list[Hit]) -> None:
        """Keep the post's text for scoring: whole up to 64 KiB, then windows around hits."""
        self.found.extend((piece, h) for h in hits)
        if piece.field == "links":
            return
        own_end = len(piece.text) if piece.limit is None else piece.limit
        if self.size + own_end - piece.skip <= WHOLE_TEXT_MAX:
            self.texts.append(piece.text[piece.skip : own_end])
            self.size += own_end - piece.skip
            return
        for h in hits:
            if self.size >= ASSESS_MAX:
                return
            window = piece.text[max(0, h.start - WINDOW_CHARS) : h.end + WINDOW_CHARS]
            self.texts.append(window)
            self.size += len(window)


def extract(paths: Sequence[str | Path]) -> dict[str, Any]:
    """Run the extraction over ``paths`` (files, directories, ``-``) and build the result."""
    return build(iter_pieces(paths))


def extract_text(text: str, name: str = "<text>") -> dict[str, Any]:
    """The same result for one in-memory text (library convenience)."""
    return build([Piece(Post({"file": name}, document=True), text)])


def build(pieces: Iterable[Piece]) -> dict[str, Any]:
    items: list[dict[str, Any]] = []
    invalid: list[dict[str, Any]] = []
    sources: list[dict[str, Any]] = []
    state: _PostState | None = None
    for piece in pieces:
        if state is None or piece.post is not state.post:
            _finish(state, items, invalid, sources)
            state = _PostState(piece.post)
        state.add(piece, scan(piece.text, piece.limit, piece.skip))
    _finish(state, items, invalid, sources)
    return {
        "method": METHOD,
        "summary": _summary(items, invalid, sources),
        "items": items,
        "invalid": invalid,
        "sources": sources,
    }


def _finish(
    state: _PostState | None,
    items: list[dict[str, Any]],
    invalid: list[dict[str, Any]],
    sources: list[dict[str, Any]],
) -> None:
    if state is None or not state.found:
        return
    verdict = assess("\n".join(state.texts))
    index = len(sources)
    sources.append({"source": state.post.source, **verdict.to_json()})
    lines: dict[int, tuple[int, int]] = {}  # id(piece) -> (offset, line) counted so far
    for piece, hit in state.found:
        line = None
        if piece.line is not None:
            pos, line = lines.get(id(piece), (0, piece.line))
            if hit.start < pos:
                pos, line = 0, piece.line
            line += piece.text.count("\n", pos, hit.start)
            lines[id(piece)] = (hit.start, line)
        entry = _entry(piece, hit, verdict, line) | {"post": index}
        (items if hit.verdict.valid else invalid).append(entry)


def _entry(piece: Piece, hit: Hit, verdict: Assessment, line: int | None) -> dict[str, Any]:
    v = hit.verdict
    post = piece.post
    source = dict(post.source)
    if piece.field != "text":
        source["field"] = piece.field
    if line is not None:
        source["line"] = line
    source["offset"] = piece.offset + hit.start
    entry: dict[str, Any] = {"address": v.address, "chain": v.chain, "kind": v.kind}
    if v.valid:
        entry |= {"valid": True, "checksum": v.checksum}
    else:
        entry |= {"valid": False, "reason": v.reason}
    entry |= {
        "source": source,
        "date": post.date,
        "author": post.author,
        "url": post.url,
        "context": _context(piece.text, hit),
        "as_found": hit.as_found,
        "obfuscation": list(hit.obfuscation),
        "solicitation": verdict.solicitation,
        "score": verdict.score,
    }
    return entry


def _context(text: str, hit: Hit) -> str:
    snippet = text[max(0, hit.start - CONTEXT_CHARS) : hit.end + CONTEXT_CHARS]
    return " ".join(snippet.translate(_CLEAN).split())


def canonical(address: str, chain: str) -> str:
    """Dedupe key: EVM hex and bech32 are case-insensitive, everything else case-sensitive."""
    low = address.lower()
    if chain == "ETH" or low.startswith(("bitcoincash:", "bc1", "tb1", "bcrt1", "ltc1")):
        return low
    return address


def _summary(items: list[dict], invalid: list[dict], sources: list[dict]) -> dict[str, Any]:
    unique = {(i["chain"], canonical(i["address"], i["chain"])) for i in items}
    return {
        "items": len(items),
        "unique_addresses": len(unique),
        "invalid": len(invalid),
        "by_chain": dict(sorted(Counter(chain for chain, _ in unique).items())),
        "sources_with_addresses": len(sources),
        "solicitations": sum(1 for s in sources if s["solicitation"]),
        "scam_storefronts": sum(1 for s in sources if s["scam_storefront"]),
    }
