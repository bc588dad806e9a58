"""`lineage-nb serve`: the OpenLineage ingest endpoint and the read API."""
