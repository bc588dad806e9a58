"""The first thing every Ray worker reached by the driver's `runtime_env` runs (see `ray_workers`).

Ray pickles `start_capture` by value, so a worker whose image lacks lineage_nb can still load it:
there the import fails, nothing is captured, and the worker runs as if lineage_nb were absent.
Keep this module free of module-level imports; by-value pickling would carry them along.
"""


def start_capture() -> None:
    try:
        from lineage_nb.capture.ray_workers import start_in_worker
    except ImportError:
        return
    start_in_worker()
