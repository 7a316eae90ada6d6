"""Investigations and their reproducible, court-ready case folders.

:func:`ledgerhound.report.pipeline.investigate` builds the report document;
:func:`ledgerhound.report.write.write_case_folder` writes report.json/html, flows.graphml,
findings.csv, the STIX 2.1 bundle, the TagPack and manifest.json. See docs/methods/reports.md.
"""
