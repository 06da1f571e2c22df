"""What readers get from a published version: exports (Parquet, CSV, the economists' workbook),
the data dictionary and the charts. Reads only the published copy, never the build warehouse.

No Dagster import here: the asset in orchestration/assets/exports.py is a thin wrapper.
"""
