"""Validate events against the official OpenLineage JSON schemas in ../shared/spec (and ours in lineage_nb/spec)."""
from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from shared_dir import SHARED

SPEC = SHARED / "spec"
OUR_SPEC = Path(__file__).resolve().parents[1] / "lineage_nb" / "spec"
CORE = "https://openlineage.io/spec/2-0-2/OpenLineage.json"


@lru_cache(maxsize=1)
def _registry() -> tuple[Registry, dict[str, str]]:
    resources = []
    by_basename: dict[str, str] = {}
    for path in [SPEC / "OpenLineage.json", *sorted((SPEC / "facets").glob("*.json")), *sorted(OUR_SPEC.glob("*.json"))]:
        document = json.loads(path.read_text())
        resources.append((document["$id"], Resource.from_contents(document)))
        by_basename[path.name] = document["$id"]
    return Registry().with_resources(resources), by_basename


def _validator(url: str, fragment: str) -> Draft202012Validator:
    registry, _ = _registry()
    return Draft202012Validator({"$ref": f"{url}#{fragment}"}, registry=registry)


def facet_errors(facet: dict[str, Any]) -> list[str]:
    url = facet.get("_schemaURL", "")
    base, _, fragment = url.partition("#")
    registry, by_basename = _registry()
    if base not in {uri for uri in by_basename.values()}:
        name = base.rsplit("/", 1)[-1]
        if name not in by_basename:
            return [f"unknown facet schema {url}"]
        base = by_basename[name]
    fragment = fragment or f"/$defs/{base.rsplit('/', 1)[-1].removesuffix('.json')}"
    return [e.message for e in _validator(base, fragment).iter_errors(facet)]


def event_errors(event: dict[str, Any]) -> list[str]:
    """Schema violations of a RunEvent and of every facet it carries (by each facet's _schemaURL)."""
    problems = [e.message for e in _validator(CORE, "/$defs/RunEvent").iter_errors(event)]
    facets = [*event["run"].get("facets", {}).values(), *event["job"].get("facets", {}).values()]
    for dataset in event.get("inputs", []) + event.get("outputs", []):
        facets += list(dataset.get("facets", {}).values())
        facets += list(dataset.get("inputFacets", {}).values()) + list(dataset.get("outputFacets", {}).values())
    for facet in facets:
        if not facet.get("_producer") or not facet.get("_schemaURL"):
            problems.append(f"facet without _producer/_schemaURL: {facet}")
            continue
        problems += facet_errors(facet)
    return problems
