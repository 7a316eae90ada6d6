"""Where imported tags live: ``<store>/attribution/tags.parquet``, beside the chain tables.

Tags are kept apart from the chain manifest so importing or removing tags never needs a
re-ingest or a re-cluster. Every write replaces the file atomically (temp file + rename), and
re-importing a file replaces that file's earlier tags (key: the ``tagpack`` it came from), so
imports are idempotent.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from ledgerhound.attribution.tag import Tag
from ledgerhound.store import layout

TAGS_FILE = Path(layout.TAGS) / "tags.parquet"

TAG_SCHEMA = pa.schema(
    [
        ("address", pa.string()), ("currency", pa.string()), ("label", pa.string()),
        ("source", pa.string()), ("confidence", pa.string()), ("confidence_level", pa.int32()),
        ("category", pa.string()), ("abuse", pa.string()), ("concepts", pa.list_(pa.string())),
        ("actor", pa.string()), ("is_cluster_definer", pa.bool_()), ("lastmod", pa.string()),
        ("context", pa.string()), ("tagpack", pa.string()), ("line", pa.int32()),
        ("valid", pa.bool_()), ("invalid_reason", pa.string()),
    ]
)  # fmt: skip


def tags_path(store: Path) -> Path:
    return store / TAGS_FILE


def load_tags(store: Path) -> pa.Table:
    path = tags_path(store)
    if not path.exists():
        return TAG_SCHEMA.empty_table()
    return pq.read_table(path, schema=TAG_SCHEMA)


def save_tags(store: Path, tags: Iterable[Tag]) -> dict[str, int]:
    """Replace the tags of every file in ``tags`` with these; keep other files' tags."""
    new = _to_table(list(tags))
    replaced = set(new.column("tagpack").to_pylist())
    old = load_tags(store)
    if old.num_rows and replaced:
        keep = pc.invert(pc.is_in(old.column("tagpack"), pa.array(sorted(replaced))))
        old = old.filter(keep)
    merged = pa.concat_tables([old, new]).sort_by(
        [("address", "ascending"), ("tagpack", "ascending"), ("line", "ascending")]
    )
    path = tags_path(store)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".parquet.tmp")
    pq.write_table(merged, tmp)
    with open(tmp, "rb") as fh:
        os.fsync(fh.fileno())
    os.replace(tmp, path)
    return {"imported": new.num_rows, "total": merged.num_rows}


def _to_table(tags: list[Tag]) -> pa.Table:
    rows = [t.to_dict() for t in tags]
    columns = {f.name: [r.get(f.name) for r in rows] for f in TAG_SCHEMA}
    return pa.Table.from_pydict(columns, schema=TAG_SCHEMA)


def table_to_tags(table: pa.Table) -> list[Tag]:
    out = []
    for row in table.to_pylist():
        row.pop("confidence_level")
        row["concepts"] = tuple(row["concepts"] or ())
        out.append(Tag(**row))
    return out


def tags_for(store: Path, addresses: Iterable[str]) -> dict[str, list[Tag]]:
    """Tags of each of ``addresses`` (those with none are absent from the answer)."""
    wanted = sorted(set(addresses))
    table = load_tags(store)
    if not wanted or not table.num_rows:
        return {}
    hits = table.filter(pc.is_in(table.column("address"), pa.array(wanted)))
    result: dict[str, list[Tag]] = {}
    for tag in table_to_tags(hits):
        result.setdefault(tag.address, []).append(tag)
    return result
