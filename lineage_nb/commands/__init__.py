"""The command layer shared by the `lineage-nb` CLI and the `%lineage` magic."""
