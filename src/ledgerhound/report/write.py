"""Write the case folder: report.json/html, flows.graphml, findings.csv, STIX, TagPack, manifest.

Why fixed file names and a manifest: a reviewer re-runs the same command on the same inputs and
compares SHA-256 sums; nothing in the folder carries a wall-clock time or an absolute path, so the
folder is byte-identical. Files are replaced atomically (a symlink planted in the folder is
replaced, never followed), so no output can land outside the folder.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
from pathlib import Path
from typing import Any

from ledgerhound.attribution.tag import Tag
from ledgerhound.errors import InvalidInputError, SourceUnavailableError
from ledgerhound.report import html, stix
from ledgerhound.report.pipeline import Investigation

FILES = ("report.json", "report.html", "flows.graphml", "findings.csv", "stix-bundle.json",
         "findings.tagpack.yaml")  # fmt: skip
FINDING_FIELDS = ["finding_id", "kind", "address", "service", "txid", "time", "sats", "btc", "usd",
                  "hops", "method", "confidence", "heuristic", "data_fingerprint"]  # fmt: skip


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _put(folder: Path, name: str, data: str | bytes) -> None:
    if "/" in name or name.startswith("."):
        raise InvalidInputError(f"refusing output name {name!r}")
    target = folder / name
    tmp = folder / f".{name}.partial"
    try:
        tmp.unlink(missing_ok=True)
        tmp.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)
        os.replace(tmp, target)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise InvalidInputError(f"cannot write {target}: {exc.strerror}") from None


def _cell(value: Any) -> Any:
    """Neutralise spreadsheet formulas in text cells (CSV injection)."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def findings(report: dict[str, Any]) -> list[dict[str, Any]]:
    """One row per finding, each with its method, confidence and data fingerprint."""
    fp, policy = report["data"]["fingerprint"], report["parameters"]["policy"]
    rows = []
    for s in report["seeds"]:
        why = "solicitation post" if s.get("solicitation") else s["origin"]
        rows.append({"kind": "seed", "address": s["address"], "method": f"seed ({why})",
                     "confidence": "as published" if s["origin"] == "posts" else "investigator",
                     "heuristic": False})  # fmt: skip
    for kind, key in (("cash_out", "cash_outs"), ("donor_source", "donor_sources")):
        for c in report[key]:
            rows.append({
                "kind": kind, "address": c["address"], "service": "; ".join(c["service"]),
                "txid": c["txid"], "time": c["time"], "sats": c["sats"], "btc": c["btc"],
                "usd": c["usd"], "hops": c["hops"],
                "method": f"trace {policy}, stop at {','.join(report['parameters']['stop_at'])}",
                "confidence": f"attribution: {c['attribution']}", "heuristic": True,
            })  # fmt: skip
    for f in report["typologies"].get("findings") or []:
        rows.append({"kind": "typology", "address": ";".join(f["addresses"]),
                     "txid": ";".join(f["txids"]), "sats": f["value"],
                     "method": f"{f['typology']} ({report['typologies']['method']})",
                     "confidence": f"{f['confidence']}/100", "heuristic": True})  # fmt: skip
    for r in rows:
        r["data_fingerprint"] = fp
        key = json.dumps([r.get(k) for k in FINDING_FIELDS[1:]], sort_keys=True)
        r["finding_id"] = hashlib.sha256(key.encode()).hexdigest()[:16]
    return rows


def findings_csv(rows: list[dict[str, Any]]) -> str:
    buf = io.StringIO()
    w = csv.DictWriter(buf, FINDING_FIELDS, lineterminator="\n")
    w.writeheader()
    for r in rows:
        w.writerow({k: _cell(r.get(k)) for k in FINDING_FIELDS})
    return buf.getvalue()


def graphml(inv: Investigation) -> str:
    """Forward and backward flow edges in one graph; each edge says which trace found it."""
    from ledgerhound.trace.export import graphml_text

    edges = []
    for name, res in (("backward", inv.backward), ("forward", inv.forward)):
        if res is not None:
            edges += [dict(e, trace=name) for e in res.edges()]
    return graphml_text(edges, "flows", extra=("trace",))


def tagpack(report: dict[str, Any], path: Path) -> None:
    """The seeds as TagPack tags (donation addresses as published); services are not re-tagged."""
    from ledgerhound.attribution.tagpack import write_tagpack

    source = f"ledgerhound investigate{(' case ' + report['case']) if report.get('case') else ''}"
    tags = []
    for s in report["seeds"]:
        if not s["in_store"]:
            continue
        origin = s.get("source_file") or "given by the investigator"
        tags.append(Tag(address=s["address"], currency="BTC", label=f"case seed ({origin})",
                        source=source, concepts=("donation",),
                        confidence="web_crawl" if s["origin"] == "posts" else "forensic",
                        context=json.dumps({"data_fingerprint": report["data"]["fingerprint"]}),
                        ))  # fmt: skip
    write_tagpack(
        tags,
        path,
        "ledgerhound investigation findings",
        "ledgerhound",
        "Seed addresses of an investigation; see report.json for method and evidence",
    )


def pdf(html_text: str, folder: Path) -> None:
    try:
        from weasyprint import HTML  # optional extra: pip install 'ledgerhound[pdf]'
    except (ImportError, OSError) as exc:
        raise SourceUnavailableError(
            "--pdf needs WeasyPrint and its system libraries (pip install 'ledgerhound[pdf]'): "
            f"{str(exc).splitlines()[0] if str(exc) else type(exc).__name__}"
        ) from None
    data = HTML(string=html_text, url_fetcher=_no_fetch).write_pdf()
    _put(folder, "report.pdf", data)


def _no_fetch(url: str, *args: Any, **kwargs: Any) -> dict:
    raise ValueError(f"network access refused: {url}")


def inputs_manifest(paths: list[tuple[str, Path]]) -> list[dict[str, Any]]:
    """SHA-256 of every input file, named relative to the folder or file given (no abs paths)."""
    rows = []
    for role, p in paths:
        files = sorted(f for f in p.rglob("*") if f.is_file()) if p.is_dir() else [p]
        for f in files:
            name = f.relative_to(p).as_posix() if p.is_dir() else f.name
            rows.append({"role": role, "root": p.name, "file": name, "bytes": f.stat().st_size,
                         "sha256": sha256_file(f)})  # fmt: skip
    rows.sort(key=lambda r: (r["role"], r["root"], r["file"]))
    return rows


def write_case_folder(
    inv: Investigation, folder: Path, inputs: list[tuple[str, Path]], want_pdf: bool = False
) -> dict[str, Any]:
    folder.mkdir(parents=True, exist_ok=True)
    r = inv.report
    page = html.render(r)
    rows = findings(r)
    _put(folder, "report.json", json.dumps(r, indent=2, ensure_ascii=False) + "\n")
    _put(folder, "report.html", page)
    _put(folder, "flows.graphml", graphml(inv))
    _put(folder, "findings.csv", findings_csv(rows))
    _put(folder, "stix-bundle.json", stix.bundle(r))
    tagpack(r, folder / "findings.tagpack.yaml")
    names = list(FILES)
    if want_pdf:
        pdf(page, folder)
        names.append("report.pdf")
    manifest = {
        "tool": r["tool"],
        "method": r["method"],
        "case": r.get("case"),
        "parameters": r["parameters"],
        "data_fingerprint": r["data"]["fingerprint"],
        "inputs": inputs_manifest(inputs),
        "outputs": [
            {"file": n, "bytes": (folder / n).stat().st_size, "sha256": sha256_file(folder / n)}
            for n in sorted(names)
        ],  # fmt: skip
    }
    _put(folder, "manifest.json", json.dumps(manifest, indent=2, ensure_ascii=False) + "\n")
    return manifest
