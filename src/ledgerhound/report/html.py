"""``report.html``: one self-contained page, readable offline and safe to open.

Why so strict: the page carries text from posts, tags and chain data written by the people under
investigation. Every value is escaped; a Content-Security-Policy forbids scripts and any
network fetch; CSS and the SVG diagram are inline. Text of unknown direction (Arabic posts) is
wrapped in ``<bdi dir="auto">`` so it renders right-to-left without reordering its neighbours.
"""

from __future__ import annotations

from html import escape
from typing import Any

from ledgerhound.report.svg import flow_svg

CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:"
CSS = """
body{font:14px/1.45 system-ui,sans-serif;margin:2em auto;max-width:1100px;color:#222}
h1{font-size:1.6em}h2{border-bottom:1px solid #ccc;margin-top:1.8em}
table{border-collapse:collapse;width:100%;margin:.5em 0}td,th{border:1px solid #ddd;
padding:3px 6px;text-align:left;vertical-align:top}th{background:#f3f3f3}
td.num{text-align:right;font-variant-numeric:tabular-nums}code{font-size:.92em;word-break:break-all}
.warn{background:#fff4e0;border-left:4px solid #e89b00;padding:.4em .8em}
.ctx{unicode-bidi:isolate}
#flow-diagram rect{fill:#eef3fb;stroke:#4a6fa5}#flow-diagram .sink rect{fill:#fdeee9;stroke:#b5523b}
#flow-diagram .source rect{fill:#eef8ee;stroke:#3b8f46}#flow-diagram rect.group{fill:none;
stroke:#999;stroke-dasharray:4 3}#flow-diagram text{font-size:11px}#flow-diagram .sub{fill:#555}
#flow-diagram .head{font-weight:bold}#flow-diagram .flow{fill:none;stroke:#8aa4c8;opacity:.7}
"""


def t(value: Any) -> str:
    """Escaped text; None as a dash."""
    return "–" if value is None or value == "" else escape(str(value), quote=True)


def bidi(value: Any) -> str:
    return f'<bdi dir="auto" class="ctx">{t(value)}</bdi>'


def table(headers: list[str], rows: list[list[str]], numeric: set[int] | None = None) -> str:
    numeric = numeric or set()
    head = "".join(f"<th>{escape(h)}</th>" for h in headers)
    body = []
    for row in rows:
        cells = "".join(
            f'<td class="num">{c}</td>' if i in numeric else f"<td>{c}</td>"
            for i, c in enumerate(row)
        )
        body.append(f"<tr>{cells}</tr>")
    if not rows:
        body.append(f'<tr><td colspan="{len(headers)}">none</td></tr>')
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def _summary(r: dict[str, Any]) -> str:
    s = r["summary"]
    items = [
        f"{s['seeds_in_store']} of {s['seeds']} seed addresses occur in the data",
        f"{s['cash_out_points']} cash-out deposits at {s['cash_out_services']} services, "
        f"{t(s['cash_out_btc'])} BTC traced ({t(r['parameters']['policy'])} policy)",
        f"donors' coins came from {s['donor_source_services']} attributed services",
        "typology detection: "
        + (
            f"{s['typology_findings']} findings (heuristic)"
            if s["typologies_available"]
            else t(r["typologies"]["note"]).removeprefix("typology detection: ")
        ),  # fmt: skip
        f"data fingerprint <code>{t(r['data']['fingerprint'])}</code> "
        f"({t(r['data']['network'])}, heights {t(r['data']['heights'][0])}–"
        f"{t(r['data']['heights'][1])})",
    ]
    warn = "".join(f'<p class="warn">{t(w)}</p>' for w in r["warnings"])
    return "<ul>" + "".join(f"<li>{i}</li>" for i in items) + "</ul>" + warn


def _seeds(r: dict[str, Any]) -> str:
    rows = [
        [f"<code>{t(s['address'])}</code>", t(s["origin"]), t("yes" if s["in_store"] else "no"),
         t(s.get("source_file")), t(s.get("date")), bidi(s.get("context"))]
        for s in r["seeds"]
    ]  # fmt: skip
    return table(["address", "origin", "in data", "source", "date", "context"], rows)


def _wallets(r: dict[str, Any]) -> str:
    rows = []
    for w in r["wallets"]:
        cl = w["cluster"] or {}
        tags = "; ".join(f"{x['label']} ({x['source']}, {x['confidence']})" for x in w["tags"])
        rows.append([f"<code>{t(w['address'])}</code>", t(cl.get("id")), t(cl.get("size")),
                     t(", ".join(w["categories"])), bidi(tags)])  # fmt: skip
    return table(["seed", "cluster", "addresses in cluster", "categories", "tags"], rows, {1, 2})


def _points(rows_in: list[dict[str, Any]], limit: int = 200) -> str:
    rows = [
        [f"<code>{t(c['address'])}</code>", bidi(", ".join(c["service"]) or "unnamed"),
         t(c["attribution"]), f"<code>{t(c['txid'])}</code>", t(c["time"]), t(c["sats"]),
         t(c["btc"]), t(c["usd"] if c["usd"] is not None else "rate missing"), t(c["hops"])]
        for c in rows_in[:limit]
    ]  # fmt: skip
    more = f"<p>… {len(rows_in) - limit} more in report.json</p>" if len(rows_in) > limit else ""
    heads = ["address", "service", "attributed by", "transaction", "block time (UTC)", "sats",
             "BTC", "USD at tx time", "hops"]  # fmt: skip
    return table(heads, rows, {5, 6, 7, 8}) + more


def _by_service(rows_in: list[dict[str, Any]]) -> str:
    rows = [[bidi(r["service"]), t(r["deposits"]), t(r["sats"]), t(r["btc"])] for r in rows_in]
    return table(["service", "deposits", "sats", "BTC"], rows, {1, 2, 3})


def _typologies(r: dict[str, Any], per_typology: int = 10) -> str:
    ty = r["typologies"]
    if not ty["available"]:
        return f"<p>{t(ty['note'])}</p>"
    shown: dict[str, int] = {}
    rows = []
    for f in ty["findings"]:
        shown[f["typology"]] = shown.get(f["typology"], 0) + 1
        if shown[f["typology"]] > per_typology:
            continue
        addrs = "<br>".join(f"<code>{t(a)}</code>" for a in f["addresses"][:3])
        evidence = "; ".join(f"{k}: {v}" for k, v in sorted(f["evidence"].items()))
        rows.append([t(f["typology"]), t(f["confidence"]),
                     addrs + (" …" if len(f["addresses"]) > 3 else ""), t(f["value"]),
                     t(", ".join(f["fatf_indicators"])), bidi(evidence)])  # fmt: skip
    counts = table(["typology", "findings"], [[t(k), t(v)] for k, v in ty["counts"].items()], {1})
    intro = (
        f"<p>{t(ty['method'])}: {t(ty.get('caveat'))}. Scanned within {t(ty.get('hops'))} "
        f"transactions of the seeds; at most {per_typology} findings per typology are listed "
        "here, all are in report.json and findings.csv.</p>"
    )
    heads = ["typology", "confidence (0-100)", "addresses", "sats", "FATF red flags", "evidence"]
    return intro + counts + table(heads, rows, {1, 3})


def _screening(r: dict[str, Any]) -> str:
    rows = []
    for row in r["screening"]["results"]:
        exp = "; ".join(
            f"{e.get('category')} {e.get('exposure_type')} {e.get('direction')} "
            f"{e.get('value')} sat" for e in row.get("exposures", [])[:6]
        )  # fmt: skip
        rows.append([f"<code>{t(row['address'])}</code>", t(row.get("severity")), t(exp)])
    return table(["seed", "severity", "exposures (first 6)"], rows)


def _methods(r: dict[str, Any]) -> str:
    p = r["parameters"]
    prices = r["prices"]
    acc = r.get("accuracy") or {}
    note = (r["forward_trace"] or {}).get("policy_note")
    params = table(["parameter", "value"], [[t(k), t(v)] for k, v in sorted(p.items())])
    figs = [[t(f["metric"]), t(f["value"]), t(f.get("mean"))] for f in acc.get("figures", [])]
    return (
        f"<p>Method <code>{t(r['method'])}</code>, {t(r['tool']['name'])} "
        f"{t(r['tool']['version'])}. Forward trace: {t(note)}."
        " Every taint policy is a model of coin identity, not a fact; amounts are the share "
        "attributed to the seeds, never a service's whole deposit or turnover.</p>"
        + params
        + f"<h3>Prices</h3><p>USD at the UTC day of each transaction, from <b>{t(prices['source'])}"
        f"</b> (file {t(prices['file'])}, SHA-256 <code>{t(prices['sha256'])}</code>, "
        f"{t(prices['first'])} to {t(prices['last'])}). Days without a rate show "
        "“rate missing”.</p>"
        + f"<h3>Measured error rates</h3><p>{t(acc.get('source', 'no accuracy run recorded'))}: "
        f"{t(acc.get('note'))}. Tracing was scored with the simulator's true labels; "
        "missing or wrong tags add error.</p>"
        + table(["metric", "value", "mean over seeds"], figs, {2})
    )


LIMITS = [
    "Clustering (common-input ownership) under-merges: a wallet may appear as several clusters.",
    "A service only stops a trace if it is tagged (directly or via its cluster); an untagged "
    "broker or exchange is traced through, and the haircut policy then spreads the seeds' value "
    "over its other customers' payments (under-stating what reached the next service).",
    "Funds a service pays out after holding them (custodial transfers) are the service's own "
    "coins on chain and cannot be traced; ask the service for its books.",
    "A cash-out point is where legal process can be served, not evidence that the service or "
    "its customers are involved.",
    "Addresses from posts are taken as published; a post can quote someone else's address.",
]


def render(r: dict[str, Any]) -> str:
    title = f"Investigation report{(' — case ' + r['case']) if r.get('case') else ''}"
    sections = [
        ("Summary", _summary(r)),
        ("Seeds and where they came from", _seeds(r)),
        ("Wallets (clusters) and attribution", _wallets(r)),
        ("Flow diagram", flow_svg(r)),
        ("Cash-out points (where legal process can be served)",
         _by_service(r["cash_outs_by_service"]) + _points(r["cash_outs"])),
        ("Donors' sources", _by_service(r["donor_sources_by_service"])
         + _points(r["donor_sources"])),
        ("Typologies", _typologies(r)),
        ("Exposure screening of the seeds", _screening(r)),
        ("Methods, parameters and error rates", _methods(r)),
        ("Limitations", "<ul>" + "".join(f"<li>{t(x)}</li>" for x in LIMITS) + "</ul>"),
    ]  # fmt: skip
    body = "".join(f"<section><h2>{escape(h)}</h2>{c}</section>" for h, c in sections)
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f'<meta http-equiv="Content-Security-Policy" content="{CSP}">'
        f"<title>{t(title)}</title><style>{CSS}</style></head>"
        f"<body><h1>{t(title)}</h1>{body}</body></html>\n"
    )
