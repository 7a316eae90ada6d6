"""Writes the labelled OSINT corpus in ``corpus/`` and its answer key ``labels.json``.

Run once (``python tests/data/osint/make_corpus.py``); the output is committed. The addresses
are real: OFAC SDN "Digital Currency Address" entries (``ofac/``), one BIP350 test vector
(taproot) and one Litecoin bech32 address from a GraphSense TagPack. The posts around them
are written for this corpus, modelled on the 2019-2020 campaigns (typologies.md sec. 1).
Invisible characters are written as escapes here so the obfuscations are exact.
"""

from __future__ import annotations

import json
from pathlib import Path

HERE = Path(__file__).parent
OUT = HERE / "corpus"
ZW, RLM, LRM, SHY = "\u200b", "\u200f", "\u200e", "\u00ad"

BTC1 = "123WBUDmSJv4GctdVEz6Qq6z8nXSKrJ4KX"
BTC3 = "32DaxSzUhLBHY2WGSWQYiBSHnRsfQZrrRp"
BC1Q = "bc1q9ua9ypl4dhj0zut5kzasj5c2kxclhh8v2k9djd"
BC1QW = "bc1qkfqh5p2qsakseg5gnwen6zh5xf3elmku2xaup29mw3l0wnncy3es880dss"
BC1P = "bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vqzk5jj0"
ETH = "0x983a81ca6FB1e441266D2FbcB7D8E530AC2E05A2"
ETH_LOWER = "0x4f47bc496083c727c5fbe3ce9cdf2b0f6496270c"
TRX1 = "TTKnV2S1295UrPr7N67Tp9ykNL7xX2Z4Uj"
TRX2 = "TEAqwfMhXLaomXhZ8KeMhx3njGmQEDnsUR"
LTC_L = "LNf2JDiuunBz7GMDKFYHN4rq5meXWxiwfb"
LTC_M = "M8yFL6SFC6TreATegTyuSYkDfDRbisdpT3"
LTC_B = "ltc1qmrf5gsptkp2xsunvxc57txjhr53w4d5003smpe"
DOGE = "DFFJhnQNZf8rf67tYnesPu7MuGUpYtzv7Z"
BCH = "bitcoincash:qpf2cphc5dkuclkqur7lhj2yuqq9pk3hmukle77vhq"
BCH_BARE = "qpusmp64rajses77x95g9ah825mtyyv74smwwkxhx3"
DASH = "XnPFsRWTaSgiVauosEwQ6dEitGYXgwznz2"
ZEC = "t1MMXtBrSp1XG38Lx9cePcNUCJj5vdWfUWL"
XMR = (
    "49HqitRzdnhYjgTEAhgGpCfsjdTeMbUTU6cyR4JV1R7k2Eej9rGT8"
    "JpFiYDa4tZM6RZiFrHmMzgSrhHEqpDYKBe5B2ufNsL"
)
XRP = "rnXyVQzgxZe7TR1EPzTkGj2jxH4LMJYh66"
# invalid: one character changed (checksum fails), or EIP-55 case flipped
BAD_BTC = BTC1[:-1] + "Y"
BAD_ETH = ETH.replace("FB1", "fB1")
BAD_TRX = TRX1[:-2] + "uX"
BAD_XMR = XMR[:-1] + "M"


def cut(addr: str, at: int, sep: str) -> str:
    return addr[:at] + sep + addr[at:]


def telegram() -> dict:
    msgs = [
        {
            "id": 11,
            "type": "message",
            "date": "2019-04-02T09:15:00",
            "from": "Tawheed Media",
            "text": [
                "ادعموا إخوانكم المجاهدين! تبرعوا عبر عنوان المحفظة:\n",
                {"type": "code", "text": cut(BTC1, 10, ZW)},
                "\nجزاكم الله خيرا",
            ],
        },
        {
            "id": 12,
            "type": "message",
            "date": "2019-04-02T09:20:00",
            "from": "Tawheed Media",
            "text": "Support the brothers. Send your sadaqah to this BTC address:\n"
            + cut(BC1Q, 20, "\n")
            + "\nMay Allah accept it.",
        },
        {
            "id": 13,
            "type": "service",
            "date": "2019-04-02T09:21:00",
            "actor": "Tawheed Media",
            "action": "pin_message",
            "text": "",
        },
        {
            "id": 14,
            "type": "message",
            "date": "2019-04-03T18:00:00",
            "from": "Tawheed Media",
            "text": [
                "Donate to the mujahideen here: ",
                {
                    "type": "text_link",
                    "text": "pay",
                    "href": f"bitcoin:{BTC3}?amount=0.01&label=Sadaqah%20Jariyah",
                },
            ],
        },
        {
            "id": 15,
            "type": "message",
            "date": "2019-04-05T08:00:00",
            "from": "Tawheed Media",
            "text": "Reuters reported that authorities seized the campaign wallet "
            + BC1QW
            + ", according to court papers.",
        },
        {
            "id": 16,
            "type": "message",
            "date": "2019-04-06T12:00:00",
            "from": "Tawheed Media",
            "text": "كفالة المجاهدين - أرسلوا USDT على شبكة ترون:\n١) "
            + RLM
            + TRX1
            + RLM
            + "\n٢)"
            + TRX2
            + "١٢",
        },
        {
            "id": 17,
            "type": "message",
            "date": "2019-04-07T12:00:00",
            "from": "Tawheed Media",
            "text": "Correction, the old address " + BAD_BTC + " had a typo.",
        },
        {
            "id": 18,
            "type": "message",
            "date": "2019-04-07T12:05:00",
            "from": "Tawheed Media",
            "text": "صباح الخير",
        },
    ]
    return {
        "name": "Tawheed & Jihad Media (corpus)",
        "type": "public_channel",
        "id": 1,
        "messages": msgs,
    }


def posts() -> list[dict]:
    return [
        {
            "id": "1001",
            "author": {"name": "Relief Fund"},
            "created_at": "2020-03-02T10:00:00Z",
            "url": "https://x.example/relief/status/1001",
            "text": "Zakat and sadaqah for the families of the mujahideen. "
            f"ETH/USDT (ERC-20): {ETH}"
            f" BTC: bitcoin:{BTC3}?amount=0.05&label=Zakat",
        },
        {
            "id": "1002",
            "author": "newsdesk",
            "created_at": "2020-08-13T16:00:00Z",
            "url": "https://news.example/2020/08/13/seizure",
            "text": "According to the Department of Justice complaint, the group asked followers to"
            f" donate to {ETH_LOWER}; investigators traced the funds.",
        },
        {
            "id": "1003",
            "author": "كفالة الخير",
            "created_at": "2020-05-01T20:00:00Z",
            "text": f"حملة كفالة يتيم - تبرعوا بالعملات الرقمية\nBCH: {BCH}\nBCH: {BCH_BARE}\n"
            f"DASH: {DASH}\nZEC: {ZEC}",
        },
        {
            "id": "1004",
            "author": "anon_donor",
            "created_at": "2020-05-02T11:00:00Z",
            "text": f"Donate privately to support the cause. XMR: {XMR} XRP: {XRP}",
        },
        {
            "id": "1005",
            "author": "chainwatcher",
            "created_at": "2020-05-03T07:30:00Z",
            "text": f"Look at https://blockchair.com/litecoin/address/{LTC_L} and "
            f"https://explorer.example/search?addr={LTC_M}&net=ltc",
        },
        {
            "id": "1006",
            "author": "dogefan",
            "created_at": "2020-05-04T07:30:00Z",
            "text": f"my tip jar: {DOGE} or {LTC_B} thanks for reading my blog",
        },
        {
            "id": "1007",
            "author": "typo_user",
            "created_at": "2020-05-05T07:30:00Z",
            "text": f"is this right? {BAD_ETH} or {BAD_XMR} or {BAD_TRX}",
        },
    ]


STOREFRONT = f"""<!doctype html>
<html><head><title>FaceMaskCenter - N95 masks wholesale</title>
<style>.addr {{ font-family: monospace }} /* 1BoatSLRHtKNngkdXEeobR76b53LETtpyT */</style>
<script>var fallback = "1BoatSLRHtKNngkdXEeobR76b53LETtpyT"; // not shown to visitors</script>
</head><body>
<h1>FDA-approved N95 respirators</h1>
<p>Near unlimited supply: we can easily provide up to 100,000 masks for hospitals.</p>
<p>In business since 1996. Payment by Bitcoin only.</p>
<p class="addr">Send payment to: {BC1P}</p>
<a href="bitcoin:{BTC1}?amount=1.5&amp;label=Order%2042">Pay with wallet</a>
<button data-clipboard-text="{BTC3}">Copy address</button>
<noscript>{BC1Q}</noscript>
</body></html>
"""

NEWS = f"""Court filing details crypto campaign
By staff reporter, 14 August 2020

Authorities said on Thursday that the al-Qassam Brigades had asked supporters to donate
bitcoin, and that investigators traced payments to the address {BTC1} and to
{BTC3}, according to the forfeiture complaint unsealed in Washington.
The complaint lists transaction
4a5e1e4baab89f3a32518a88c31bc87f618f76673e2cc77ab2127b7afdeda33b and the Ethereum transfer
0x5c504ed432cb51138bcf09aa5e8a410dd4a1e204ef84bfed1be16dfba1b22060 as examples.
"""

ARABIC_CALL = (
    "بسم الله الرحمن الرحيم\n"
    "أيها الإخوة، الجهاد بالمال واجب. ادعموا المجاهدين بالتبرع على المحفظة التالية:\n"
    f"{RLM}١- {cut(BTC3, 17, chr(10))}\n"
    f"٢- {LRM}{cut(ETH, 21, SHY)}{LRM}\n"
    "ولا تنسوا الصدقة والزكاة.\n"
)

ARABIC_NEWS = (
    "ذكرت وزارة العدل الأمريكية أنها صادرت محافظ استخدمت لجمع التبرعات، "
    f"ومنها المحفظة {TRX1} التي أعلنت السلطات تجميدها وفقا لتقرير نشرته المحكمة.\n"
)

NOISE = """Release notes and logs (no addresses here)
sha256 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08
uuid 123e4567-e89b-12d3-a456-426614174000 and base64 SGVsbG8gV29ybGQhIFRoaXMgaXMgYmFzZTY0Lg==
Supercalifragilisticexpialidocious antidisestablishmentarianism
https://example.com/a/VeryLongPathSegmentWithoutAnyMeaningAtAll12345/index.html
Numbers 1234567890123456789012345678901234 and 0x00000000000000000000000000000000000000000000
tx 0x5c504ed432cb51138bcf09aa5e8a410dd4a1e204ef84bfed1be16dfba1b22060 done
"""


def main() -> None:
    OUT.mkdir(exist_ok=True)
    (OUT / "telegram").mkdir(exist_ok=True)
    dump = json.dumps(telegram(), ensure_ascii=False, indent=1)
    (OUT / "telegram" / "result.json").write_text(dump + "\n", encoding="utf-8")
    lines = [json.dumps(p, ensure_ascii=False) for p in posts()]
    (OUT / "posts.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    (OUT / "storefront.html").write_text(STOREFRONT, encoding="utf-8")
    (OUT / "news_article.txt").write_text(NEWS, encoding="utf-8")
    (OUT / "arabic_call.txt").write_text(ARABIC_CALL, encoding="utf-8")
    (OUT / "arabic_news.txt").write_text(ARABIC_NEWS, encoding="utf-8")
    (OUT / "noise.txt").write_text(NOISE, encoding="utf-8")
    t, p = "telegram/result.json", "posts.jsonl"
    labels = {
        "valid": sorted(
            [
                [t, "11", BTC1],
                [t, "12", BC1Q],
                [t, "14", BTC3],
                [t, "15", BC1QW],
                [t, "16", TRX1],
                [t, "16", TRX2],
                [p, "1", ETH],
                [p, "1", BTC3],
                [p, "2", ETH_LOWER],
                [p, "3", BCH],
                [p, "3", "bitcoincash:" + BCH_BARE],
                [p, "3", DASH],
                [p, "3", ZEC],
                [p, "4", XMR],
                [p, "4", XRP],
                [p, "5", LTC_L],
                [p, "5", LTC_M],
                [p, "6", DOGE],
                [p, "6", LTC_B],
                ["storefront.html", "", BC1P],
                ["storefront.html", "", BTC1],
                ["storefront.html", "", BTC3],
                ["news_article.txt", "", BTC1],
                ["news_article.txt", "", BTC3],
                ["arabic_call.txt", "", BTC3],
                ["arabic_call.txt", "", ETH],
                ["arabic_news.txt", "", TRX1],
            ]
        ),
        "invalid": sorted(
            [[t, "17", BAD_BTC], [p, "7", BAD_ETH], [p, "7", BAD_XMR], [p, "7", BAD_TRX]]
        ),
        "solicitation": {
            f"{t}#11": True,
            f"{t}#12": True,
            f"{t}#14": True,
            f"{t}#15": False,
            f"{t}#16": True,
            f"{t}#17": False,
            f"{p}#1": True,
            f"{p}#2": False,
            f"{p}#3": True,
            f"{p}#4": True,
            f"{p}#5": False,
            f"{p}#6": False,
            f"{p}#7": False,
            "storefront.html#": False,
            "news_article.txt#": False,
            "arabic_call.txt#": True,
            "arabic_news.txt#": False,
        },
        "storefront": ["storefront.html#"],
    }
    (HERE / "labels.json").write_text(json.dumps(labels, ensure_ascii=False, indent=1) + "\n")


if __name__ == "__main__":
    main()
