"""Solicitation and scam-storefront scoring, Arabic and English, with the cues as explanation."""

from __future__ import annotations

import pytest

from ledgerhound.osint.solicitation import THRESHOLD, assess, normalize_arabic


@pytest.mark.parametrize(
    "text",
    [
        "Support the brothers! Donate BTC to this wallet address.",
        "Sadaqah and zakat for the mujahideen, send to the BTC address below",
        "Sponsor a fighter: $300 a month. Contribute via bitcoin.",
        "ادعموا إخوانكم المجاهدين بالتبرع عبر عنوان المحفظة",
        "كَفَالَةُ المُجَاهِدِينَ - تبرّعوا الآن",  # with diacritics
        "الجهاد بالمال فريضة، أنفقوا في سبيل الله عبر المحفظة",
        "حملة الصدقات والزكاة: ساهموا معنا",
    ],
)
def test_solicitations(text: str) -> None:
    verdict = assess(text)
    assert verdict.solicitation, verdict
    assert verdict.score >= THRESHOLD and verdict.cues


@pytest.mark.parametrize(
    "text",
    [
        # news quoting a solicitation is not a solicitation
        "Authorities said the group urged followers to donate to the wallet, according to the "
        "complaint unsealed in court.",
        "ذكرت وزارة العدل أن السلطات صادرت المحفظة التي استخدمت في التبرع للمجاهدين",
        "Bitcoin price rose 5% today; my wallet address is in the bio.",
        "أسعار البيتكوين ارتفعت اليوم",
        "Jihad is discussed in this history lecture.",
    ],
)
def test_non_solicitations(text: str) -> None:
    assert not assess(text).solicitation


def test_cues_are_the_explanation() -> None:
    verdict = assess("Donate to support the mujahideen via this wallet")
    assert verdict.cues == ("donate", "jihad-cause", "support", "wallet")
    assert verdict.score == 3 + 2 + 3 + 1


def test_storefront_needs_two_claims() -> None:
    page = "FDA-approved N95 masks, near unlimited supply, Bitcoin only. In business since 1996."
    verdict = assess(page)
    assert verdict.storefront and not verdict.solicitation
    assert verdict.scam_indicators == (
        "business-age-claim",
        "crypto-only-payment",
        "fda-approved-claim",
        "implausible-supply",
        "ppe-product",
    )
    assert not assess("We sell N95 face masks. FDA approved.").storefront
    assert assess("كمامات معتمدة من هيئة الغذاء والدواء، كميات غير محدودة").storefront


def test_arabic_normalisation() -> None:
    assert normalize_arabic("كفالةٌ أُنفقوا ١٩٩٦") == "كفاله انفقوا 1996"
