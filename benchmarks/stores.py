"""Benchmark stores: one per scale, built by importing the generated JSONL, and reused between runs."""
from __future__ import annotations

import json
import time
from pathlib import Path

from benchmarks import generate
from lineage_nb.store import open_store
from lineage_nb.store.importer import import_file


def store_path(events: int, seed: int = 0) -> Path:
    return generate.DATA_DIR / f"store-{events}-seed{seed}-v{generate.GENERATOR_VERSION}.db"


def import_into(path: Path, source: Path) -> dict[str, float]:
    """Import a JSONL file into a new store at `path`; the figures of that import."""
    for leftover in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
        leftover.unlink(missing_ok=True)
    started = time.perf_counter()
    with open_store(path, create=True) as store:
        report = import_file(store, source)
        imported = time.perf_counter() - started
        _checkpoint(store)
    if report.errors or report.accepted == 0:
        raise RuntimeError(f"import of {source} failed: {report.errors[:3]}")
    return {"events": report.accepted, "seconds": imported, "events_per_second": report.accepted / imported}


def _checkpoint(store) -> None:  # type: ignore[no-untyped-def]
    """Fold the write-ahead log into the database file, so its size is the store's size."""
    raw = store.engine.raw_connection()
    try:
        raw.cursor().execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        raw.close()


def store_bytes(path: Path) -> int:
    return sum(p.stat().st_size for p in (path, Path(f"{path}-wal")) if p.exists())


def ensure_store(events: int, seed: int = 0) -> tuple[Path, dict[str, float]]:
    """The store for a scale, and the figures of the import that built it (in this run or an earlier one)."""
    path = store_path(events, seed)
    built = path.with_suffix(".built.json")
    if path.exists() and built.exists():
        return path, json.loads(built.read_text())
    figures = import_into(path, generate.ensure_file(events, seed))
    figures["built_at"] = time.strftime("%Y-%m-%d %H:%M:%S")
    built.write_text(json.dumps(figures))
    return path, figures


if __name__ == "__main__":
    import sys

    for scale in sys.argv[1:]:
        print(ensure_store(int(scale)))
