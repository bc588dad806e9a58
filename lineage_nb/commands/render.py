"""Plain-text answers, for the CLI (without --json) and for the magic's text output."""
from __future__ import annotations

import json
from typing import Any, Sequence

from lineage_nb.commands.run import Result

LIST_COLUMNS = ("name", "namespace", "format", "created_by", "created_at")


def _table(rows: list[dict[str, Any]], columns: Sequence[str]) -> str:
    if not rows:
        return "(none)"
    cells = [["" if row.get(c) is None else str(row.get(c)) for c in columns] for row in rows]
    widths = [min(60, max(len(c), *(len(r[i]) for r in cells))) for i, c in enumerate(columns)]
    lines = ["  ".join(c.upper().ljust(w) for c, w in zip(columns, widths))]
    lines += ["  ".join(v[:w].ljust(w) for v, w in zip(r, widths)) for r in cells]
    return "\n".join(lines)


def _labelled(entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """A step (a cell, a script line, a dbt model of a run) is shown by its label when it has one."""
    return [{**e, "name": e.get("label") or e["name"]} for e in entries]


def _workloads(entries: list[dict[str, Any]]) -> str:
    return _table(_labelled(entries), ("name", "type", "namespace", "last_run_at"))


def _artifact_details(data: dict[str, Any]) -> list[str]:
    """What other producers add to a dataset: its data source, tests, column lineage and the SQL that wrote it."""
    lines = []
    source = data.get("data_source")
    if source:
        named = [v for v in dict.fromkeys((source.get("name"), source.get("uri"))) if v]
        lines.append("  data source: " + " ".join(named))
    quality = data.get("quality") or {}
    if quality.get("assertions"):
        lines.append(f"  tests:      {quality['passed']} passed, {quality['failed']} failed")
        lines += [f"    {'ok  ' if a['success'] else 'FAIL'} {a.get('name') or a['assertion']}" + (f" ({a['column']})" if a.get("column") else "")
                  for a in quality["assertions"]]
    if data.get("column_lineage"):
        lines.append("  column lineage:")
        for entry in data["column_lineage"]:
            sources = ", ".join(f"{i['name']}.{i['column']}" for i in entry["inputs"]) or "(unknown)"
            lines.append(f"    {entry['column']} <- {sources}")
    sql = data.get("sql")
    if sql:
        lines.append("  sql:\n    " + sql["query"].strip().replace("\n", "\n    "))
    return lines


def render_text(result: Result) -> str:
    data, command = result.data, result.command
    if command in ("datasets", "models"):
        return _table(data, LIST_COLUMNS)
    if command == "workloads":
        return _table(data, ("name", "type", "owner", "project", "last_run_at", "reads", "writes"))
    if command in ("status", "on", "off"):
        return _status(data)
    if command == "show":
        lines = [f"{data['kind']}: {data['name']}", f"  namespace:  {data['namespace']}", f"  uri:        {data['uri']}"]
        for key in ("format", "version", "created_at", "created_by"):
            if data.get(key):
                lines.append(f"  {key + ':':<11} {data[key]}")
        if data["schema"]:
            lines.append("  schema:     " + ", ".join(f"{f['name']} {f['type']}".strip() for f in data["schema"]))
        lines += _artifact_details(data)
        writer = data.get("written_by_run") or {}
        cell = writer.get("context", {}).get("cellSource")
        if cell:
            lines.append("  written by cell:\n    " + cell.strip().replace("\n", "\n    "))
        lines.append(f"\nupstream (producers, {data['upstream_count']}):\n" + _workloads(data["upstream"]))
        lines.append(f"\ndownstream (consumers, {data['downstream_count']}):\n" + _workloads(data["downstream"]))
        return "\n".join(lines)
    if command == "workload":
        lines = [f"{data['type']}: {data['name']}", f"  namespace:  {data['namespace']}", f"  last run:   {data['last_run_at']}"]
        for key, value in sorted((data.get("metadata") or {}).items()):
            if isinstance(value, str) and key not in ("workloadName", "workloadType"):
                lines.append(f"  {key + ':':<18} {value}")
        parent = data.get("parent_workload")
        if parent:
            lines.append(f"  part of:    {parent['name']}")
        if data.get("children"):
            lines.append(f"\nsteps and child jobs ({data['child_count']}):\n"
                         + _table(_labelled(data["children"]), ("name", "type", "run_count", "input_count", "output_count")))
        lines.append(f"\nupstream (read, {data['upstream_count']}):\n" + _table(data["upstream"], LIST_COLUMNS[:3]))
        lines.append(f"\ndownstream (written, {data['downstream_count']}):\n" + _table(data["downstream"], LIST_COLUMNS[:3]))
        return "\n".join(lines)
    if command == "graph":
        names = {n["id"]: f"{n['kind']}:{n.get('label') or n['name']}" for n in data["nodes"]}
        lines = [f"{len(data['nodes'])} nodes, {len(data['edges'])} edges" + (" (truncated)" if data["truncated"] else "")]
        lines += [f"  {names[e['source']]} {'->' if e.get('evidence', 'direct') == 'direct' else '-->'} {names[e['target']]}"
                  + ("" if e.get("evidence", "direct") == "direct" else f"  ({e['evidence']})") for e in data["edges"]]
        return "\n".join(lines)
    if command in ("impact", "provenance"):
        lines = [f"{len(data['artifacts'])} artifacts, {len(data['workloads'])} workloads" + (" (truncated)" if data["truncated"] else "")]
        lines += [f"  {n['distance']:>3}  {n['kind']:<8}  {n.get('evidence', ''):<8}  {n['namespace']}  {n['name']}" for n in data["artifacts"]]
        lines += [f"  {n['distance']:>3}  {n['kind']:<8}  {'':<8}  {n['namespace']}  {n.get('label') or n['name']}" for n in data["workloads"]]
        return "\n".join(lines)
    if command == "import":
        lines = []
        for report in data:
            state = "skipped (strict)" if report["skipped_file"] else f"{report['accepted']} imported, {report['duplicates']} already present"
            lines.append(f"{report['file']}: {state}, {len(report['errors'])} invalid")
            lines += [f"  {error}" for error in report["errors"][:50]]
        return "\n".join(lines)
    if command == "export":
        what = f"{data['nodes']} nodes of {data['artifact']}'s graph" if "nodes" in data else f"{data['events']} events"
        return f"wrote {what} to {data['file']}"
    return json.dumps(data, indent=2, default=str)


def _status(data: dict[str, Any]) -> str:
    return "\n".join([
        f"capture: {'on' if data['enabled'] else 'off'} (hooks: {', '.join(data['hooks']) or 'none'})",
        f"store: {data['store']}",
        "stored: " + ", ".join(f"{k} {v}" for k, v in data["store_counts"].items()),
        "emitter: " + ", ".join(f"{k} {v}" for k, v in data["emitter"].items()),
        "errors: " + (", ".join(f"{k} {v}" for k, v in data["errors"].items()) or "none"),
    ])
