"""Graph ids: signed 64-bit hashes of an OpenLineage identity, the same in every process.

Kept apart from `schema` so that deriving rows needs no SQLAlchemy (import worker processes).
"""
from __future__ import annotations

import hashlib
from functools import lru_cache

INPUT = 0
OUTPUT = 1
# Evidence of an edge, strongest first (a smaller number wins when runs disagree).
DIRECT = 0
INFERRED = 1
COLUMN_LINEAGE = 2
EVIDENCE = {DIRECT: "direct", INFERRED: "inferred", COLUMN_LINEAGE: "column_lineage"}


def stable_id(*parts: str) -> int:
    """A signed 64-bit id from the parts of an identity; equal identities give equal ids in any process."""
    digest = hashlib.blake2b("\x1f".join(parts).encode("utf-8", "surrogatepass"), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


@lru_cache(maxsize=1 << 16)
def artifact_id(namespace: str, name: str) -> int:
    return stable_id("artifact", namespace, name)


@lru_cache(maxsize=1 << 14)
def workload_id(namespace: str, name: str) -> int:
    return stable_id("workload", namespace, name)


@lru_cache(maxsize=1 << 12)  # a run's START, RUNNING and COMPLETE events arrive close together
def run_row_id(run_uuid: str) -> int:
    return stable_id("run", run_uuid.lower())
