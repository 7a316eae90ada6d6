"""Export round trips: every format re-reads to the same row count and value sums."""

from __future__ import annotations

import csv
import json

import pyarrow.parquet as pq
import pytest

from ledgerhound.errors import InvalidInputError

SUMS = {"outputs": "value", "inputs": "prev_value", "transactions": "output_value"}


def _read(path):
    if path.suffix == ".parquet":
        return pq.read_table(path).to_pylist()
    if path.suffix == ".jsonl":
        return [json.loads(line) for line in path.read_text().splitlines()]
    with path.open(newline="") as fh:
        return list(csv.DictReader(fh))


def _sum(rows, column):
    return sum(int(r[column]) for r in rows if r[column] not in (None, ""))


@pytest.mark.parametrize("fmt", ["csv", "parquet", "jsonl"])
@pytest.mark.parametrize("table", ["transactions", "outputs", "inputs"])
def test_chain_table_round_trip(real_store, tmp_path, table, fmt):
    out = tmp_path / f"{table}.{fmt}"
    result = real_store.export(table, out)
    rows = _read(out)
    con = real_store.connect()
    count, total = con.execute(f"SELECT count(*), sum({SUMS[table]}) FROM {table}").fetchone()
    con.close()
    assert result == {"table": table, "path": str(out), "format": fmt, "rows": count}
    assert len(rows) == count == real_store.stats()[table]
    assert _sum(rows, SUMS[table]) == total
    assert not out.with_name(out.name + ".tmp").exists()


@pytest.mark.parametrize("fmt", ["csv", "parquet", "jsonl"])
def test_addresses_round_trip(real_store, real_batch, tmp_path, fmt):
    out = tmp_path / f"addresses.{fmt}"
    real_store.export("addresses", out)
    rows = _read(out)
    outputs = real_batch.outputs.to_pylist()
    assert len(rows) == real_store.stats()["addresses"]
    assert [int(r["address_id"]) for r in rows] == list(range(len(rows)))
    assert _sum(rows, "received") == sum(o["value"] for o in outputs if o["address"])
    for row in rows:
        assert int(row["balance"]) == int(row["received"]) - int(row["sent"])
        assert int(row["tx_count"]) >= 1
    first = rows[0]
    assert first["first_seen"] == "2016-05-26T23:58:43Z"
    assert first["address"] == outputs[0]["address"]  # the coinbase output appears first


def test_binary_columns_are_hex_in_text_formats(real_store, real_batch, tmp_path):
    out = tmp_path / "outputs.jsonl"
    real_store.export("outputs", out)
    first = json.loads(out.read_text().splitlines()[0])
    assert first["script"] == real_batch.outputs.column("script")[0].as_py().hex()


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("out.xlsx", "unsupported export format '.xlsx' (use .csv, .parquet or .jsonl)"),
        ("missing/out.csv", "directory {dir}/missing does not exist or is not writable"),
    ],
)
def test_export_errors(real_store, tmp_path, name, message):
    with pytest.raises(InvalidInputError) as err:
        real_store.export("outputs", tmp_path / name)
    assert message.format(dir=tmp_path) in err.value.message
    assert not (tmp_path / name).exists()


def test_export_onto_a_directory_is_refused(real_store, tmp_path):
    target = tmp_path / "taken.csv"
    target.mkdir()
    with pytest.raises(InvalidInputError) as err:
        real_store.export("transactions", target)
    assert err.value.message.startswith(f"cannot write {target}: ")
    assert not (tmp_path / "taken.csv.tmp").exists()
