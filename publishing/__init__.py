"""Publishing the warehouse, without Dagster: versions on disk (copy, manifest, content hashes,
pointer swap, rollback, pruning), the lineage of every published table, and the run lock."""
