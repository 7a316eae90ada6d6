"""The chain store: Parquet tables (schemas declared as data) with DuckDB views over them."""
