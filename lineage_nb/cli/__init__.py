"""`lineage-nb`: the command line."""
