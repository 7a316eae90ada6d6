"""Is a post asking for money? Transparent cue scoring in Arabic and English.

No model, no black box: every verdict lists the cues that produced it. Each distinct cue counts
once with its weight; "reporting" cues (news, court, police wording) count against, because a
news article quoting a campaign's address is not itself a solicitation. The rule:

    solicitation = (a call-to-give or giving cue is present) and score >= THRESHOLD

Scam-storefront indicators (the FaceMaskCenter pattern: FDA-approved PPE, implausible supply,
crypto-only payment, business-age claims) are reported separately; ``storefront`` needs two
different claim indicators. The cue tables below are the documentation (docs/methods/osint.md).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

THRESHOLD = 4
STOREFRONT_MIN = 2

# (label, category, weight, English pattern or None, Arabic pattern or None)
# Arabic patterns match text normalised by normalize_arabic (no diacritics, plain alef, ه for ة).
CUES: tuple[tuple[str, str, int, str | None, str | None], ...] = (
    ("donate", "call", 3, r"donat(?:e|es|ed|ing|ion|ions)\b", r"تبرع|التبرع|تبرعات|تبرعوا"),
    (
        "support",
        "call",
        3,
        r"support (?:the |our |your )?(?:brothers|mujahid\w*|jihad|cause|resistance|fighters|"
        r"campaign|families|people)",
        r"ادعموا|ادعم|دعم المجاهدين|نصره",
    ),
    ("contribute", "call", 3, r"contribut(?:e|ions?)\b", r"ساهموا|ساهم|شاركوا في الاجر"),
    (
        "spend-in-the-cause",
        "call",
        3,
        r"fund (?:the )?(?:jihad|mujahid\w*|brothers)|"
        r"jihad (?:with|by) (?:your )?wealth",
        r"انفقوا|الجهاد بالمال|جهاد بالمال|جهزوا|جهز غازيا",
    ),
    (
        "sponsorship",
        "call",
        3,
        r"sponsor (?:an? |the )?(?:orphan|fighter|family|mujahid\w*)",
        r"كفاله|اكفل|اكفلوا",
    ),
    ("sadaqah-zakat", "giving", 2, r"sadaq(?:ah|a)\b|zaka(?:t|h)\b", r"صدقه|الصدقات|زكاه|الزكاه"),
    ("charity", "giving", 2, r"charit(?:y|ies|able)\b", r"خيري|الخيريه"),
    ("donor", "giving", 2, r"donors?\b", r"متبرع|المتبرعين|للمتبرع"),
    (
        "jihad-cause",
        "cause",
        2,
        r"jihad\b|mujahid(?:een|in|een's)?\b|the brothers\b",
        r"المجاهدين|المجاهد|الجهاد|المرابطين",
    ),
    (
        "wallet",
        "payment",
        1,
        r"(?:wallet|btc|bitcoin|usdt|crypto) address|\bwallet\b|"
        r"(?:this|the following|our) (?:btc |bitcoin |wallet )?address",
        r"عنوان المحفظه|المحفظه|محفظه|بيتكوين|البيتكوين",
    ),
    (
        "reporting",
        "reporting",
        -3,
        r"according to|reported|authorities|seiz(?:ed|ure)|forfeit\w*|complaint|court|"
        r"prosecutors?|department of justice|treasury|ofac|sanction\w*|researchers?|"
        r"analysts?|investigat\w*|police|arrest\w*",
        r"وفقا ل|ذكرت|اعلنت|صادرت|مصادره|السلطات|وزاره العدل|الشرطه|تقرير|افادت|المحكمه|"
        r"عقوبات|اعتقال",
    ),
)

SCAM_INDICATORS: tuple[tuple[str, str | None, str | None], ...] = (
    (
        "fda-approved-claim",
        r"fda[- ]?(?:approved|certified|cleared|registered)",
        r"معتمده? من (?:هيئه|اداره) الغذاء والدواء",
    ),
    (
        "implausible-supply",
        r"(?:near(?:ly)? )?unlimited (?:supply|stock|quantit\w*)|"
        r"up to [\d,]{5,} (?:masks|units|pieces)|any quantity",
        r"كميات غير محدوده",
    ),
    (
        "crypto-only-payment",
        r"(?:bitcoin|btc|crypto\w*|usdt) only|"
        r"only (?:accept|take)s? (?:bitcoin|btc|crypto\w*|usdt)|payment only (?:in|via|by)",
        r"الدفع (?:بالبيتكوين|بالعملات الرقميه) فقط",
    ),
    (
        "business-age-claim",
        r"(?:since |established (?:in )?|founded (?:in )?)(?:19|20)\d\d\b|"
        r"(?:over|more than) \d+ years in business",
        r"منذ عام (?:19|20)\d\d",
    ),
    ("ppe-product", r"\bn95\b|\bppe\b|face ?masks?\b|respirators?\b", r"كمامات|الكمامات"),
)
_CLAIMS = {"fda-approved-claim", "implausible-supply", "crypto-only-payment", "business-age-claim"}

_ARABIC_FOLD = str.maketrans(
    {"أ": "ا", "إ": "ا", "آ": "ا", "ٱ": "ا", "ة": "ه", "ى": "ي", "ـ": None}
    | {chr(c): None for c in range(0x064B, 0x0653)}
    | {chr(0x0660 + i): str(i) for i in range(10)}
    | {chr(0x06F0 + i): str(i) for i in range(10)}
)


def normalize_arabic(text: str) -> str:
    """Fold diacritics, tatweel, alef/taa-marbuta variants and Arabic-Indic digits."""
    return text.translate(_ARABIC_FOLD).lower()


def _compile(en: str | None, ar: str | None) -> re.Pattern[str]:
    parts = [f"\\b(?:{en})" if en else None, ar]
    return re.compile("|".join(p for p in parts if p))


_CUE_PATTERNS = [(label, cat, w, _compile(en, ar)) for label, cat, w, en, ar in CUES]
_SCAM_PATTERNS = [(label, _compile(en, ar)) for label, en, ar in SCAM_INDICATORS]


@dataclass(frozen=True)
class Assessment:
    """The verdict on one post and the cues that explain it."""

    solicitation: bool
    score: int
    cues: tuple[str, ...]
    storefront: bool
    scam_indicators: tuple[str, ...]

    def to_json(self) -> dict[str, object]:
        return {
            "solicitation": self.solicitation,
            "score": self.score,
            "cues": list(self.cues),
            "scam_storefront": self.storefront,
            "scam_indicators": list(self.scam_indicators),
        }


def assess(text: str) -> Assessment:
    """Score one post's text; deterministic, cues sorted by label."""
    folded = normalize_arabic(text)
    cues, score, giving = [], 0, False
    for label, category, weight, pattern in _CUE_PATTERNS:
        if pattern.search(folded):
            cues.append(label)
            score += weight
            giving = giving or category in ("call", "giving")
    scams = [label for label, pattern in _SCAM_PATTERNS if pattern.search(folded)]
    storefront = len(_CLAIMS.intersection(scams)) >= STOREFRONT_MIN
    return Assessment(
        giving and score >= THRESHOLD, score, tuple(sorted(cues)), storefront, tuple(sorted(scams))
    )
