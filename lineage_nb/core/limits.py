"""Default sizes of answers, shared by the query services and the command parser (which `--help` loads alone)."""
LIST_LIMIT = 50  # rows per page of a listing
DEFAULT_NODE_CAP = 500  # nodes in one graph answer
TRANSITIVE_MAX_DEPTH = 50  # hops of provenance and impact
