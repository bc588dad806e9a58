"""The notebook front end: the `%lineage` magic and the anywidget graph."""
