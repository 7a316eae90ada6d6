"""The scanner: every obfuscation real posts use, exact offsets, and streaming equivalence."""

from __future__ import annotations

import io

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ledgerhound.osint.inputs import text_pieces
from ledgerhound.osint.report import extract_text
from ledgerhound.osint.scanner import scan
from tests.osint.conftest import ofac

BTC = "123WBUDmSJv4GctdVEz6Qq6z8nXSKrJ4KX"
BECH = "bc1q9ua9ypl4dhj0zut5kzasj5c2kxclhh8v2k9djd"
ETH = "0x983a81ca6FB1e441266D2FbcB7D8E530AC2E05A2"
TRX = "TTKnV2S1295UrPr7N67Tp9ykNL7xX2Z4Uj"
BCH = "qpf2cphc5dkuclkqur7lhj2yuqq9pk3hmukle77vhq"


def valid(text: str) -> list[str]:
    return [h.verdict.address for h in scan(text) if h.verdict.valid]


@pytest.mark.parametrize(
    ("text", "expected", "obfuscation"),
    [
        (f"plain {BTC} text", BTC, ()),
        (f"zw {BTC[:9]}\u200b{BTC[9:20]}\u200c{BTC[20:]}.", BTC, ("zero-width",)),
        (f"soft hyphen {ETH[:21]}\u00ad{ETH[21:]}", ETH, ("zero-width",)),
        (f"bom {BECH[:5]}\ufeff{BECH[5:]}", BECH, ("zero-width",)),
        (f"rtl inside {TRX[:5]}\u200f{TRX[5:]}", TRX, ("bidi-mark",)),
        (f"rtl around \u200f{TRX}\u200f done", TRX, ()),
        (f"isolates \u2067{BTC}\u2069", BTC, ()),
        (f"cut after head\n{BTC[:6]}\n{BTC[6:]}\nnext", BTC, ("line-break",)),
        (f"cut before tail\n{BTC[:28]}\n{BTC[28:]} next", BTC, ("line-break",)),
        (f"crlf {BECH[:20]}\r\n{BECH[20:]}\r\n", BECH, ("line-break",)),
        (f"indented {ETH[:30]}\n    {ETH[30:]}", ETH, ("line-break",)),
        (f"٣) {BTC}٤٥", BTC, ()),
        (f"arabic glued المحفظة{BTC}شكرا", BTC, ()),
        (f"arabic-indic inside {BTC[:1]}٢{BTC[2:]}", BTC, ("arabic-indic-digits",)),
        (f"https://blockchair.com/bitcoin/address/{BTC}?from=tg", BTC, ()),
        (f"https://x.example/pay?coin=eth&to={ETH}&amount=1", ETH, ()),
        (f"bitcoin:{BTC}?amount=0.01&label=Sadaqah%20Jariyah", BTC, ()),
        (f"ethereum:{ETH}@1?value=1e16", ETH, ()),
        (f"upper-case bech32 {BECH.upper()}", BECH.upper(), ()),
        (f"cashaddr bitcoincash:{BCH}", "bitcoincash:" + BCH, ()),
        (f"bare cashaddr {BCH}", "bitcoincash:" + BCH, ()),
        (f"«{BTC}» (BTC)", BTC, ()),
    ],
)
def test_obfuscations(text: str, expected: str, obfuscation: tuple[str, ...]) -> None:
    hits = [h for h in scan(text) if h.verdict.valid]
    assert [h.verdict.address for h in hits] == [expected]
    hit = hits[0]
    assert hit.obfuscation == obfuscation
    assert text[hit.start : hit.end] == hit.as_found


def test_cashaddr_prefix_is_part_of_the_evidence() -> None:
    text = f"pay bitcoincash:{BCH} now"
    (hit,) = scan(text)
    assert hit.as_found == f"bitcoincash:{BCH}" and text[hit.start :].startswith("bitcoincash:")


def test_prose_line_wraps_do_not_glue_words_into_addresses() -> None:
    text = "internationalization\nThe\nantidisestablishment\nquestion " + BTC + "\nThanks"
    assert valid(text) == [BTC]


def test_not_candidates() -> None:
    text = (
        "tx 4a5e1e4baab89f3a32518a88c31bc87f618f76673e2cc77ab2127b7afdeda33b "
        "evm tx 0x5c504ed432cb51138bcf09aa5e8a410dd4a1e204ef84bfed1be16dfba1b22060 "
        "uuid 123e4567-e89b-12d3-a456-426614174000 SGVsbG8gV29ybGQhIFRoaXMgaXMgYmFzZTY0Lg== "
        "1234567890123456789012345678901234 " + BTC + "extra"
    )
    assert scan(text) == []


def test_invalid_candidates_are_reported_but_never_valid() -> None:
    hits = scan(f"typo {BTC[:-1]}Y and {ETH.replace('FB1', 'fB1')}")
    assert [h.verdict.valid for h in hits] == [False, False]
    assert {h.verdict.chain for h in hits} == {"BTC", "ETH"}


def test_extract_text_offsets_point_at_the_evidence() -> None:
    text = f"a {BTC} b \u200f{TRX}\u200f c {ETH[:10]}\n{ETH[10:]}"
    result = extract_text(text)
    assert [i["address"] for i in result["items"]] == [BTC, TRX, ETH]
    for item in result["items"]:
        start = item["source"]["offset"]
        assert text[start : start + len(item["as_found"])] == item["as_found"]


SEPARATORS = [" ", "\n", ": ", "، ", " (", ") ", "\t", " - ", "\u200f ", " \u200e", "\r\n"]
FILLER = st.lists(
    st.sampled_from(
        ["send", "to", "الأخوة", "المحفظة", "address", "BTC", "USDT", "١٢", "2019", "://", "x"]
    ),
    max_size=6,
).map(" ".join)
REAL = [
    a for asset in ("XBT", "ETH", "TRX", "LTC", "DASH", "ZEC", "XRP", "BCH") for a in ofac(asset)
]


def _obfuscate(address: str, how: str, pos: int) -> str:
    pos = 2 + pos % (len(address) - 3)
    insert = {"zw": "\u200b", "nl": "\n", "rlm": "\u200f", "crlf": "\r\n", "none": ""}[how]
    return address[:pos] + insert + address[pos:]


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.sampled_from(REAL),
            st.sampled_from(["zw", "nl", "rlm", "crlf", "none"]),
            st.integers(0, 200),
            FILLER,
            st.sampled_from(SEPARATORS),
        ),
        min_size=1,
        max_size=5,
    )
)
def test_embedded_real_addresses_are_all_recovered(parts: list) -> None:
    text, expected = "", []
    for address, how, pos, filler, sep in parts:
        text += filler + sep + _obfuscate(address, how, pos) + sep
        expected.append(("bitcoincash:" + address) if address[0] in "qp" else address)
    assert valid(text) == expected


@settings(max_examples=60, deadline=None)
@given(st.integers(64, 400), st.lists(st.sampled_from(REAL), min_size=1, max_size=8))
def test_streaming_in_chunks_equals_one_pass(chunk: int, addresses: list[str]) -> None:
    lines = []
    for n, address in enumerate(addresses):
        cut = 3 + n % 20
        lines += ["filler line ١٢ المحفظة", f"{address[:cut]}\n{address[cut:]} end", "x" * 40]
    text = "\n".join(lines) + "\n"
    whole = [(h.start, h.verdict.address) for h in scan(text) if h.verdict.valid]
    streamed = []
    for piece in text_pieces(io.StringIO(text, newline=""), "t", chunk_chars=chunk):
        streamed += [
            (piece.offset + h.start, h.verdict.address)
            for h in scan(piece.text, piece.limit, piece.skip)
            if h.verdict.valid
        ]
    assert streamed == whole
    assert len(whole) == len(addresses)


def _streamed(text: str, chunk: int) -> list[tuple[int, str]]:
    out = []
    for piece in text_pieces(io.StringIO(text, newline=""), "t", chunk_chars=chunk):
        hits = scan(piece.text, piece.limit, piece.skip)
        out += [(piece.offset + h.start, h.verdict.address) for h in hits if h.verdict.valid]
    return out


@settings(max_examples=30, deadline=None)
@given(st.integers(240, 600), st.lists(st.sampled_from(REAL), min_size=5, max_size=30))
def test_one_enormous_line_is_split_between_candidates(chunk: int, addresses: list[str]) -> None:
    text = " ".join(f"{a}, المحفظة" for a in addresses)  # no line break at all
    whole = [(h.start, h.verdict.address) for h in scan(text) if h.verdict.valid]
    assert len(whole) == len(addresses)
    assert _streamed(text, chunk) == whole


def test_line_numbers_survive_chunking() -> None:
    text = "".join(f"line {n}\n" for n in range(1, 500)) + f"here {BTC}\n"
    result = [p for p in text_pieces(io.StringIO(text), "t", chunk_chars=256)]
    found = []
    for piece in result:
        for h in scan(piece.text, piece.limit, piece.skip):
            found.append(piece.line + piece.text.count("\n", 0, h.start))
    assert found == [500]
