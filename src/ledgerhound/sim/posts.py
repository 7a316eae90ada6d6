"""Open-source material publishing the campaign addresses among decoys, in Arabic and English.

- ``posts/telegram/<channel>/result.json`` and ``messages.html``: Telegram Desktop chat exports
  (the JSON shape with ``text`` + ``text_entities``; HTML with Telegram's message markup) of the
  campaign channels, with appeals carrying campaign addresses and decoy messages;
- ``posts/web/*.html``: donation pages (per-donor address snapshots, as archived) and the scam
  shop's checkout page.

Decoys: an exchange hot-wallet address in a news post, an innocent user's address in a "beware
of impostors" warning, the mainnet genesis address, a campaign address with a broken checksum,
and a txid. ``truth/osint.csv`` lists every address string in the posts and whether it is a
campaign address. The texts are short, neutral templates (synthetic data, no real propaganda).
"""

from __future__ import annotations

import html
import json
from pathlib import Path
from typing import Any

from ledgerhound.sim.world import BOOTSTRAP_BLOCKS

APPEAL = (
    "ادعموا حملتنا عبر البيتكوين على العنوان التالي: {a}",
    "Support our campaign with bitcoin at this address: {a}",
    "تبرعوا لإغاثة الأسر المحتاجة. عنوان المحفظة: {a}",
    "Donate to help families in need. Wallet address: {a}",
)
NEWS = (
    "أسعار البيتكوين اليوم في ارتفاع",
    "Reminder: our only official channel is this one.",
    "شاهدوا الفيديو التعليمي حول كيفية التبرع بشكل آمن",
)
GENESIS_ADDRESS = "1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa"


class Channel:
    """Messages of one Telegram channel, rendered as JSON and HTML exports."""

    def __init__(self, name: str, cid: int) -> None:
        self.name, self.cid, self.messages = name, cid, []  # type: list[dict[str, Any]]

    def post(self, when: Any, text: str) -> None:
        self.messages.append(
            {
                "id": len(self.messages) + 1,
                "type": "message",
                "date": when.strftime("%Y-%m-%dT%H:%M:%S"),
                "date_unixtime": str(int(when.timestamp())),
                "from": self.name,
                "from_id": f"channel{self.cid}",
                "text": text,
                "text_entities": [{"type": "plain", "text": text}],
            }
        )

    def write(self, directory: Path) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        export = {"name": self.name, "type": "public_channel", "id": self.cid}
        export["messages"] = self.messages  # type: ignore[assignment]
        (directory / "result.json").write_text(
            json.dumps(export, ensure_ascii=False, indent=1) + "\n", encoding="utf-8"
        )
        (directory / "messages.html").write_text(self.html(), encoding="utf-8")

    def html(self) -> str:
        body = []
        for m in self.messages:
            stamp = m["date"].replace("T", " ")
            body.append(
                f'<div class="message default clearfix" id="message{m["id"]}">\n'
                f' <div class="body">\n  <div class="pull_right date details" title="{stamp}">'
                f"{stamp[11:16]}</div>\n"
                f'  <div class="from_name">{html.escape(self.name)}</div>\n'
                f'  <div class="text" dir="auto">{html.escape(m["text"])}</div>\n </div>\n</div>'
            )
        return (
            '<!DOCTYPE html>\n<html>\n<head><meta charset="utf-8"/>'
            f"<title>Exported Data</title></head>\n<body>\n"
            '<div class="page_header"><div class="text bold">'
            f"{html.escape(self.name)}</div></div>\n"
            f'<div class="history">\n{chr(10).join(body)}\n</div>\n</body>\n</html>\n'
        )


def _height_at(world: Any, phase: float) -> int:
    return BOOTSTRAP_BLOCKS + 1 + int(phase * world.plan.blocks)


def write(directory: Path, scenario: Any) -> None:
    w, truth = scenario.world, scenario.world.truth
    rng = w.rng
    decoy_user = next((lk.address for u in scenario.eco.users for lk in u.recent), None)
    decoys = [a for a in (scenario.eco.exchanges[0].hot_lock.address, decoy_user) if a]
    decoys.append(GENESIS_ADDRESS)

    def appeal(ch: Channel, slug: str, campaign: str, addr: str, phase: float) -> None:
        for lang in (0, 1):
            ch.post(
                w.date_of(_height_at(w, phase) + lang),
                APPEAL[rng.choice((0, 2)) + lang].format(a=addr),
            )
        truth.row("osint", addr, f"telegram/{slug}/result.json", campaign, "true")

    q = scenario.qassam
    aqb = Channel("Al-Qassam campaign (simulated)", 1000001)
    for i, lock in enumerate(q.static):
        appeal(aqb, "alqassam", q.id, lock.address or "", q.P1[0] + 0.01 * i)
    aqb.post(w.date_of(_height_at(w, q.P2[0])), NEWS[2])
    channels = [("alqassam", aqb)]
    for i, c in enumerate(scenario.hub.channels):
        ch = Channel(c.entity.name, 1000010 + i)
        appeal(ch, f"charity{i}", c.id, c.static.address or "", 0.30 + 0.02 * i)
        ch.post(w.date_of(_height_at(w, 0.5)), NEWS[i % 2])
        channels.append((f"charity{i}", ch))
    _decoy_posts(w, channels, decoys, q.static[1].address or "")
    for slug, ch in channels:
        ch.write(directory / "telegram" / slug)
    _web_pages(directory / "web", scenario)


def _decoy_posts(w: Any, channels: list, decoys: list[str], campaign_addr: str) -> None:
    truth, rng = w.truth, w.rng
    slug, ch = channels[1]
    when = w.date_of(_height_at(w, 0.6))
    ch.post(when, f"Beware of impostors collecting money at {decoys[1 % len(decoys)]}")
    ch.post(when, f"Exchange news: large transfer from {decoys[0]} today")
    ch.post(when, f"تذكير: أول عنوان بيتكوين في التاريخ هو {decoys[-1]}")
    broken = campaign_addr[:-1] + ("p" if campaign_addr[-1] != "p" else "q")
    ch.post(when, f"Old address (do not use): {broken}")
    ch.post(when, f"Receipt: {rng.randbytes(32).hex()}")
    for addr in (*decoys, broken):
        truth.row("osint", addr, f"telegram/{slug}/result.json", "", "false")


def _web_pages(directory: Path, scenario: Any) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    w, q, truth = scenario.world, scenario.qassam, scenario.world.truth
    per_donor = [(a, h) for a, kind, h in q.published if kind == "per_donor"][:5]
    for i, (addr, height) in enumerate(per_donor):
        day = w.date_of(height).strftime("%Y-%m-%d")
        name = f"alqassam-donate-{i + 1}.html"
        page = (
            '<!DOCTYPE html>\n<html lang="ar" dir="rtl">\n<head><meta charset="utf-8"/>'
            f"<title>تبرع - Donate</title></head>\n<body>\n"
            f"<p>نسخة مؤرشفة بتاريخ {day} (archived snapshot)</p>\n"
            "<p>يتم إنشاء عنوان جديد لكل متبرع. A new address is generated for each donor.</p>\n"
            f'<p class="address">{addr}</p>\n</body>\n</html>\n'
        )
        (directory / name).write_text(page, encoding="utf-8")
        truth.row("osint", addr, f"web/{name}", q.id, "true")
    shop = scenario.shop
    addr = shop.example
    page = (
        '<!DOCTYPE html>\n<html lang="en">\n<head><meta charset="utf-8"/>'
        "<title>FaceMaskCenter - N95 masks, FDA approved, in stock since 1996</title></head>\n"
        "<body>\n<h1>N95 masks - near unlimited supply</h1>\n"
        "<p>Pay with bitcoin. Each order gets its own payment address.</p>\n"
        + (f'<p class="address">Example order address: {addr}</p>\n' if addr else "")
        + "</body>\n</html>\n"
    )
    (directory / "facemaskcenter.html").write_text(page, encoding="utf-8")
    if addr:
        truth.row("osint", addr, "web/facemaskcenter.html", shop.campaign.id, "true")
