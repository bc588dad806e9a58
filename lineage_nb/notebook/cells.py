"""Which cell is running: its id and the prompt number the user sees, told to the session before it runs.

IPython 9 counts a cell before `pre_run_cell` fires, IPython 8 after it ran, so `execution_count` read
in `pre_run_cell` is the prompt number on one and one more on the other. The tracker learns which
from `post_run_cell`, whose result carries the true number, and starts from the installed version's rule.
"""
from __future__ import annotations

from typing import Any

from lineage_nb.core import errors


class CellTracker:
    def __init__(self, shell: Any) -> None:
        self.shell = shell
        self._count_before_run: int | None = None
        self.offset = _default_offset()

    def register(self) -> None:
        self.shell.events.register("pre_run_cell", self.before)
        self.shell.events.register("post_run_cell", self.after)

    def unregister(self) -> None:
        for event, callback in (("pre_run_cell", self.before), ("post_run_cell", self.after)):
            try:
                self.shell.events.unregister(event, callback)
            except ValueError:
                pass

    @errors.guard("cell context")
    def before(self, info: Any) -> None:
        from lineage_nb.runtime.session import current_session

        self._count_before_run = self.shell.execution_count
        # A cell run without history (nbval, some tools' silent runs) shows no prompt number and does not count.
        prompt = self.shell.execution_count - self.offset if getattr(info, "store_history", True) else None
        current_session().set_cell(prompt, info.raw_cell, getattr(info, "cell_id", None))

    @errors.guard("cell context")
    def after(self, result: Any) -> None:
        shown = getattr(result, "execution_count", None)
        counted = getattr(getattr(result, "info", None), "store_history", True)
        if shown is not None and self._count_before_run is not None and counted:
            self.offset = self._count_before_run - shown


def _default_offset() -> int:
    import IPython

    return 1 if IPython.version_info >= (9,) else 0
