"""Re-linking at commit: the main chain is chosen again over every block the store holds.

Why: Core's blk files hold blocks in download order, so a file read alone holds fragments whose
parents are in another file, and each run can number only the chain it sees. When a commit's
blocks change which blocks are on the most-work chain (parents arriving after their children,
a heavier branch), the ``height`` and ``in_main_chain`` of every row of every block that changed
are rewritten, copy-on-write, in the same atomic commit; address ids and the chain index are
then rebuilt. The usual commit (blocks extending the tip) is recognised by a vectorised check
and costs one read of the blocks table.

Rows are matched to their block by batch: every part of one staged batch shares a file stem, and
inside it ``(txid, height, k)`` -- k counting repeats of a transaction in file order -- names one
transaction of one block even when stale copies of it share the txid.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ledgerhound.codecs.block import bip34_height
from ledgerhound.store import manifest as mf
from ledgerhound.store.chainselect import Headers, main_chain
from ledgerhound.store.schema import TABLES
from ledgerhound.store.sql import arrow_table, connect, one, parquet_list, quote, run, write_query

if TYPE_CHECKING:
    import duckdb

    from ledgerhound.store.staging import Staging

_ROW_TABLES = ("blocks", "transactions", "outputs", "inputs")


@dataclass
class Relinked:
    """What a re-link changed: committed files replaced, and whether committed rows moved."""

    dead: dict[str, set[str]] = field(default_factory=lambda: {t: set() for t in _ROW_TABLES})
    committed: bool = False
    blocks: int = 0


@dataclass
class _File:
    """One Parquet file of a batch: where it is now, its part, and how the commit holds it."""

    path: Path
    part: mf.Part
    kind: str  # "committed" | "staged" | "direct" | "raw"


def relink(st: Staging, new: mf.Manifest) -> Relinked | None:
    """Re-number the chain over committed + staged blocks; rewrite what changed (None: nothing)."""
    if not st.staged.parts["blocks"]:
        return None
    files = [st.root / p.file for p in new.sorted_parts("blocks")]
    files += [st.dir / p.file for p in st.staged.parts["blocks"]]
    con = connect(st.dir / "duckdb-tmp")
    try:
        table = arrow_table(con.sql(
            f"""SELECT hash, prev_hash, bits, height, in_main_chain, filename
                FROM read_parquet({parquet_list(files)}, filename=true)"""))  # fmt: skip
        committed = sum(p.rows for p in new.parts["blocks"])
        if _extends_tip(table, committed):
            return None
        changes = _changes(con, st, new, table)
        if not changes.num_rows:
            return None
        return _rewrite(con, st, new, changes)
    finally:
        con.close()


def _extends_tip(table: pa.Table, committed: int) -> bool:
    """True when the staged blocks are one main chain growing from the committed main tip and
    no committed block names a staged one as its parent: then nothing committed can change."""
    old, new = table.slice(0, committed), table.slice(committed)
    heights = new["height"].to_numpy(zero_copy_only=False)
    if new["height"].null_count or not pc.all(new["in_main_chain"]).as_py():
        return False
    order = np.argsort(heights, kind="stable")
    heights, hashes = heights[order], new["hash"].take(pa.array(order))
    prevs = new["prev_hash"].take(pa.array(order))
    if len(heights) > 1 and not (np.diff(heights) == 1).all():
        return False
    if pc.any(pc.not_equal(prevs.slice(1), hashes.slice(0, len(hashes) - 1))).as_py():
        return False
    if not committed:
        return True
    if pc.any(pc.is_in(old["prev_hash"], value_set=pa.array(hashes))).as_py():
        return False
    main = old.filter(old["in_main_chain"])
    if not main.num_rows:
        return False
    top = pc.max(main["height"]).as_py()
    tip = main.filter(pc.equal(main["height"], top))
    return tip.num_rows == 1 and heights[0] == top + 1 and tip["hash"][0] == prevs[0]


def _changes(con: duckdb.DuckDBPyConnection, st: Staging, new: mf.Manifest,
             table: pa.Table) -> pa.Table:  # fmt: skip
    """Blocks whose (height, in_main_chain) differ under the most-work rule, with their file."""
    headers = Headers(
        hashes=table["hash"].to_pylist(), prevs=table["prev_hash"].to_pylist(),
        bits=table["bits"].to_pylist(), heights=table["height"].to_pylist(),
        main=table["in_main_chain"].to_pylist(),
    )  # fmt: skip
    files = table["filename"].to_pylist()

    def root_height(i: int) -> int | None:
        return _coinbase_height(con, _batch_files(st, new, files[i]), headers.hashes[i])

    heights, main = main_chain(headers, root_height)
    rows = [i for i in range(len(heights))
            if (heights[i], main[i]) != (headers.heights[i], headers.main[i])]  # fmt: skip
    return pa.table({
        "hash": pa.array([headers.hashes[i] for i in rows], pa.string()),
        "height": pa.array([heights[i] for i in rows], pa.int32()),
        "main": pa.array([main[i] for i in rows], pa.bool_()),
        "file": pa.array([files[i] for i in rows], pa.string()),
    })  # fmt: skip


def _coinbase_height(con, batch: dict[str, list[_File]], block_hash: str) -> int | None:
    """The BIP34 height in a block's coinbase (for a root the store has no height for)."""
    txs, ins = batch["transactions"], batch["inputs"]
    if not txs or not ins:
        return None
    found = run(con, f"""
        SELECT i.script_sig FROM read_parquet({parquet_list([f.path for f in ins])}) i
        WHERE i.vin = 0 AND i.prev_txid IS NULL AND i.txid = (
            SELECT txid FROM read_parquet({parquet_list([f.path for f in txs])})
            WHERE block_hash = ? AND tx_index = 0 LIMIT 1)
        LIMIT 1""", [block_hash])  # fmt: skip
    return bip34_height(bytes(found[0][0])) if found else None


def _stem(file: str) -> str:
    """A batch's stem: the part name without generation (``-gN``) or stale-inputs suffix."""
    return re.sub(r"(-stale)?(-g\d+)?$", "", Path(file).stem)


def _batch_files(st: Staging, new: mf.Manifest, blocks_file: str) -> dict[str, list[_File]]:
    """Every file of the batch a blocks file belongs to, committed or staged."""
    stem = _stem(blocks_file)
    out: dict[str, list[_File]] = {t: [] for t in _ROW_TABLES}
    staged = Path(blocks_file).is_relative_to(st.dir)
    for table in _ROW_TABLES:
        if staged:
            kinds = [("staged", p) for p in st.staged.parts[table]]
            if table == "inputs":
                kinds = [("direct", p) for p in st.staged.direct_inputs]
                kinds += [("raw", p) for p in st.staged.raw_parts]
        else:
            kinds = [("committed", p) for p in new.parts[table]]
        for kind, part in kinds:
            if _stem(part.file) == stem:
                out[table].append(_File(_path(st, kind, part), part, kind))
    return out


def _path(st: Staging, kind: str, part: mf.Part) -> Path:
    if kind == "committed":
        return st.root / part.file
    if kind == "raw":
        return st.dir / "raw" / Path(part.file).name
    return st.dir / part.file


def _rewrite(con, st: Staging, new: mf.Manifest, changes: pa.Table) -> Relinked:
    con.register("m", changes)
    out = Relinked(blocks=changes.num_rows)
    for blocks_file in sorted(set(changes["file"].to_pylist())):
        batch = _batch_files(st, new, blocks_file)
        tx_file = batch["transactions"][0].path
        run(con, f"""CREATE OR REPLACE TEMP TABLE txmap AS
            SELECT t.txid, t.height AS old_height,
                   row_number() OVER (PARTITION BY t.txid, t.height
                                      ORDER BY t.file_row_number) AS k,
                   CASE WHEN m.hash IS NULL THEN t.height ELSE m.height END AS new_height
            FROM read_parquet({quote(str(tx_file))}, file_row_number=true) t
            LEFT JOIN m ON m.hash = t.block_hash""")  # fmt: skip
        for table, files in batch.items():
            for f in files:
                _rewrite_file(con, st, new, table, f, out)
        run(con, "DROP TABLE txmap")
    con.unregister("m")
    return out


def _select(table: str, key: str) -> str:
    """The SQL that re-derives ``height`` (and ``in_main_chain``) of one file's rows."""
    cols = [c.name for c in TABLES[table]]
    if table in ("blocks", "transactions"):
        on = "m.hash = r.hash" if table == "blocks" else "m.hash = r.block_hash"
        exprs = {"height": "CASE WHEN m.hash IS NULL THEN r.height ELSE m.height END",
                 "in_main_chain": "coalesce(m.main, r.in_main_chain)"}  # fmt: skip
        src = f"read_parquet({key}, file_row_number=true) r LEFT JOIN m ON {on}"
    else:
        index = "vout" if table == "outputs" else "vin"
        exprs = {"height": "CASE WHEN x.txid IS NULL THEN r.height ELSE x.new_height END"}
        src = f"""(SELECT *, row_number() OVER (PARTITION BY txid, height, {index}
                                                ORDER BY file_row_number) AS k
                   FROM read_parquet({key}, file_row_number=true)) r
                  LEFT JOIN txmap x ON x.txid = r.txid AND x.k = r.k
                   AND x.old_height IS NOT DISTINCT FROM r.height"""
    select = ", ".join(f"{exprs[c]} AS {c}" if c in exprs else f"r.{c}" for c in cols)
    return f"SELECT {select} FROM {src} ORDER BY r.file_row_number"


def _rewrite_file(con, st: Staging, new: mf.Manifest, table: str, f: _File,
                  out: Relinked) -> None:  # fmt: skip
    """Staged files are rewritten in place; committed ones become new staged parts (a committed
    inputs part is resolved again with the commit, its funding outputs may be new)."""
    sql = _select(table, quote(str(f.path)))
    if f.kind != "committed":
        tmp = f.path.with_suffix(".relink")
        f.part.rows = write_query(con, sql, tmp, table)
        os.replace(tmp, f.path)
        f.part.min_height, f.part.max_height = _height_range(con, f.path)
        return
    bare = re.sub(r"-g\d+$", "", Path(f.part.file).stem)
    name = f"{Path(f.part.file).parent}/{bare}-g{new.generation}.parquet"
    part = mf.Part(name, 0, "", unresolved=f.part.unresolved)
    target = st.dir / "raw" / Path(name).name if table == "inputs" else st.dir / name
    target.parent.mkdir(parents=True, exist_ok=True)
    part.rows = write_query(con, sql, target, table)
    part.min_height, part.max_height = _height_range(con, target)
    if table == "inputs":
        st.staged.raw_inputs.append(target)
        st.staged.raw_parts.append(part)
    else:
        st.staged.parts[table].append(part)
    new.parts[table] = [p for p in new.parts[table] if p.file != f.part.file]
    out.dead[table].add(f.part.file)
    out.committed = True


def _height_range(con, path: Path) -> tuple[int | None, int | None]:
    low, high = one(con, f"SELECT min(height), max(height) FROM read_parquet({quote(str(path))})")
    return low, high
