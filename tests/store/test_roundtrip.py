"""Round trips: every table row -> Parquet -> DuckDB -> Parquet unchanged; manifest JSON."""

from __future__ import annotations

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ledgerhound.store import manifest as mf
from ledgerhound.store.schema import TABLES, arrow_schema
from ledgerhound.store.sql import connect, define_table, write_query, write_table

_VALUES = {
    pa.int32(): st.integers(-(2**31), 2**31 - 1),
    pa.int64(): st.integers(-(2**63), 2**63 - 1),
    pa.string(): st.text(max_size=12),
    pa.binary(): st.binary(max_size=12),
    pa.bool_(): st.booleans(),
    pa.list_(pa.binary()): st.lists(st.binary(max_size=6), max_size=3),
}


def _rows(table: str):
    fields = {}
    for col in TABLES[table]:
        value = _VALUES[col.type]
        fields[col.name] = st.one_of(st.none(), value) if col.nullable else value
    return st.lists(st.fixed_dictionaries(fields), max_size=5)


@pytest.mark.parametrize("table", list(TABLES))
@settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.data())
def test_parquet_duckdb_round_trip(tmp_path, table, data):
    rows = data.draw(_rows(table))
    original = pa.Table.from_pylist(rows, schema=arrow_schema(table))
    first, second = tmp_path / "a.parquet", tmp_path / "b.parquet"
    write_table(original, first, table)
    con = connect(tmp_path / "spill")
    define_table(con, "t", table, [first])
    write_query(con, "SELECT * FROM t", second, table)
    con.close()
    back = pq.read_table(second)
    expected = arrow_schema(table)
    # Parquet names list items "element" (compliant nesting); names, nullability, types agree
    assert [(f.name, f.nullable) for f in back.schema] == [(f.name, f.nullable) for f in expected]
    assert back.cast(expected).schema.equals(expected, check_metadata=True)
    assert back.schema.metadata == expected.metadata
    assert back.to_pylist() == rows


_parts = st.builds(
    mf.Part,
    file=st.text("abc/-0123456789.", min_size=1, max_size=20),
    rows=st.integers(0, 10**9),
    sha256=st.text("0123456789abcdef", min_size=64, max_size=64),
    min_height=st.none() | st.integers(0, 10**6),
    max_height=st.none() | st.integers(0, 10**6),
    unresolved=st.integers(0, 10**6),
)


@settings(max_examples=30, deadline=None)
@given(
    parts=st.lists(_parts, max_size=4),
    hashes=st.sets(st.text("0123456789abcdef", min_size=64, max_size=64), max_size=4),
    network=st.sampled_from(["mainnet", "regtest"]),
)
def test_manifest_json_round_trip(tmp_path_factory, parts, hashes, network):
    manifest = mf.Manifest(network=network, generation=3, block_hashes=hashes)
    manifest.parts["outputs"] = parts
    back = mf.Manifest.from_json(manifest.to_json(), tmp_path_factory.getbasetemp())
    assert back.to_json() == manifest.to_json()
    assert back.fingerprint == manifest.fingerprint
