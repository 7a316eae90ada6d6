"""docs/data-model.md is generated from the schema declarations and must be up to date."""

from pathlib import Path

from ledgerhound.store.datamodel import render
from ledgerhound.store.schema import TABLES


def test_data_model_doc_is_current():
    doc = Path(__file__).parents[2] / "docs" / "data-model.md"
    assert doc.read_text() == render(), (
        "run: python -m ledgerhound.store.datamodel > docs/data-model.md"
    )


def test_every_column_is_documented():
    text = render()
    for columns in TABLES.values():
        for col in columns:
            assert f"| `{col.name}` |" in text
