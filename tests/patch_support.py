"""Where a hook's patches can be seen, to compare before, during and after install (test_enable.py)."""
from __future__ import annotations

from lineage_nb.capture.patching import Target, library_modules, resolve


def patchable(library: str, targets: tuple[Target, ...]) -> dict[str, object]:
    """Every place a target's function is reachable: the target, its owner's own attribute, and every
    module of the library that binds the same function by name."""
    found: dict[str, object] = {}
    originals: dict[str, object] = {}
    for target in targets:
        owner, raw = resolve(target)
        found[target.label] = raw
        found[target.label + " (own attribute)"] = vars(owner).get(target.attribute, "<inherited>")
        if target.owner is None:
            originals[target.attribute] = getattr(raw, "__lineage_nb_original__", raw)
    for module in library_modules(library):
        for name, original in originals.items():
            bound = vars(module).get(name)
            if bound is not None and getattr(bound, "__lineage_nb_original__", bound) is original:
                found[f"{module.__name__}.{name}"] = bound
    return found


def changed(before: dict[str, object], after: dict[str, object]) -> list[str]:
    return sorted(key for key in before.keys() | after.keys() if before.get(key) is not after.get(key))
