"""Read the clustering: which cluster an address is in, and a cluster's summary with its tags.

Tags attach to addresses; a cluster inherits its members' tags, each shown with the path it came
by (``via``: ``address`` for the address's own tag, ``cluster`` for a tag of another member).
Tags whose categories disagree within one cluster are reported as conflicts, never resolved
silently.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ledgerhound.attribution import tagstore
from ledgerhound.cluster.build import cluster_dir, load_meta
from ledgerhound.errors import InvalidInputError, NotFoundError


def _require_clusters(root: Path) -> Path:
    path = cluster_dir(root) / "clusters.parquet"
    if not path.exists():
        raise NotFoundError(f"no clustering in {root} (run `ledgerhound cluster build` first)")
    return path


def attach(con, root: Path) -> bool:
    """Add a ``clusters(address_id, cluster_id)`` view to ``con``; False if none is built."""
    path = cluster_dir(root) / "clusters.parquet"
    if not path.exists():
        return False
    con.execute(f"CREATE OR REPLACE VIEW clusters AS SELECT * FROM read_parquet('{path}')")
    return True


def cluster_of(con, root: Path, address: str) -> dict[str, Any] | None:
    """``{id, size}`` of the address's cluster, or None when there is no clustering yet."""
    if not attach(con, root):
        return None
    row = con.execute(
        "SELECT c.cluster_id, (SELECT count(*) FROM clusters c2 WHERE c2.cluster_id = c.cluster_id)"
        " FROM clusters c JOIN addresses a ON a.address_id = c.address_id WHERE a.address = ?",
        [address],
    ).fetchone()
    return None if row is None else {"id": int(row[0]), "size": int(row[1])}


def resolve_ref(con, root: Path, ref: str) -> int:
    """A cluster id from ``ref``: a decimal cluster id or an address in the store."""
    attach(con, root) or _require_clusters(root)
    if ref.isdigit():
        found = con.execute(
            "SELECT 1 FROM clusters WHERE cluster_id = ? LIMIT 1", [int(ref)]
        ).fetchone()
        if found is None:
            raise NotFoundError(f"no cluster with id {ref}")
        return int(ref)
    row = con.execute(
        "SELECT c.cluster_id FROM clusters c JOIN addresses a USING (address_id)"
        " WHERE a.address = ?",
        [ref],
    ).fetchone()
    if row is None:
        raise NotFoundError(f"address {ref} is not in the store")
    return int(row[0])


def show(con, root: Path, ref: str, offset: int = 0, limit: int = 100) -> dict[str, Any]:
    """Summary of one cluster: size, paged member addresses, totals, seen range, tags, conflicts."""
    if offset < 0 or limit < 1:
        raise InvalidInputError("--offset must be >= 0 and --limit >= 1")
    cid = resolve_ref(con, root, ref)
    con.execute(
        "CREATE OR REPLACE TEMP TABLE _members AS SELECT a.address_id, a.address FROM clusters c"
        " JOIN addresses a USING (address_id) WHERE c.cluster_id = ?",
        [cid],
    )
    totals = con.execute(
        """SELECT
             (SELECT count(*) FROM _members),
             (SELECT coalesce(sum(value), 0) FROM outputs
                WHERE address IN (SELECT address FROM _members)),
             (SELECT coalesce(sum(prev_value), 0) FROM inputs
                WHERE prev_address IN (SELECT address FROM _members)),
             (SELECT min(height) FROM transfers WHERE address IN (SELECT address FROM _members)),
             (SELECT max(height) FROM transfers WHERE address IN (SELECT address FROM _members))"""
    ).fetchone()
    size, received, sent, first, last = totals
    page = [r[0] for r in con.execute(
        "SELECT address FROM _members ORDER BY address_id LIMIT ? OFFSET ?", [limit, offset]
    ).fetchall()]  # fmt: skip
    members = [r[0] for r in con.execute("SELECT address FROM _members").fetchall()]
    tags = cluster_tags(root, members)
    meta = load_meta(root) or {}
    return {
        "id": cid, "size": int(size), "addresses": page, "offset": offset, "limit": limit,
        "received": int(received), "sent": int(sent), "balance": int(received - sent),
        "first_seen": first, "last_seen": last, "tags": tags,
        "tag_conflicts": conflicts(tags),
        "method": meta.get("method"), "data_fingerprint": meta.get("data_fingerprint"),
    }  # fmt: skip


def cluster_tags(root: Path, members: list[str], address: str | None = None) -> list[dict]:
    """Tags of the members, with ``via``: ``address`` if on ``address`` itself, else ``cluster``."""
    out = []
    for addr, tags in sorted(tagstore.tags_for(root, members).items()):
        for tag in tags:
            out.append(
                {
                    "label": tag.label, "category": tag.category or tag.abuse,
                    "categories": list(tag.categories), "source": tag.source,
                    "confidence": tag.confidence, "confidence_level": tag.confidence_level,
                    "address": addr, "via": "address" if addr == address else "cluster",
                }
            )  # fmt: skip
    return out


def conflicts(tags: list[dict]) -> list[dict]:
    """Pairs of distinct top categories on one cluster (e.g. an exchange and a terror label)."""
    cats = sorted({t["category"] for t in tags if t["category"]})
    if len(cats) < 2:
        return []
    return [{"categories": cats, "labels": sorted({t["label"] for t in tags})}]
