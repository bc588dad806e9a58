"""The %lineage magic in a real IPython shell: loading, commands, usage errors and the cell context."""
from __future__ import annotations

import argparse
import json
import subprocess
import sys

import pytest
from conftest_ray import ray_local  # noqa: F401  (session-scoped fixture)
from widget_data import chain_events, run_event

import lineage_nb
from lineage_nb.commands.run import build_parser


def ipython_shell():
    from IPython.testing.globalipapp import get_ipython, start_ipython

    return start_ipython() or get_ipython()


@pytest.fixture
def shell(store_path):
    with lineage_nb.open_store(str(store_path), create=True) as store:
        assert not store.ingest(chain_events()).rejected
    ip = ipython_shell()
    ip.run_line_magic("load_ext", "lineage_nb")
    yield ip
    ip.run_line_magic("unload_ext", "lineage_nb")


def test_loading_imports_neither_ray_nor_mlflow(tmp_path):
    code = (
        "import sys, json\n"
        "from IPython.testing.globalipapp import start_ipython\n"
        "ip = start_ipython()\n"
        "ip.run_line_magic('load_ext', 'lineage_nb')\n"
        "print(json.dumps({m: m in sys.modules for m in ('ray', 'mlflow', 'anywidget')}"
        " | {'magic': 'lineage' in ip.magics_manager.magics['line']}))\n"
    )
    env = {"LINEAGE_NB_STORE": str(tmp_path / "lineage.db"), "PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=60, check=True)
    assert json.loads(out.stdout.strip().splitlines()[-1]) == {"ray": False, "mlflow": False, "anywidget": False, "magic": True}


def subcommands(parser: argparse.ArgumentParser) -> dict[str, list[str]]:
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return {name: sorted(o for a in p._actions for o in a.option_strings if o not in ("-h", "--help")) for name, p in sub.choices.items()}


def test_magic_and_cli_share_one_parser(shell):
    magic = shell.magics_manager.magics["line"]["lineage"]
    assert subcommands(magic.parser) == subcommands(build_parser()) | {"on": ["--store"], "off": ["--store"]}  # on/off: the magic's only
    help_text = magic.__doc__
    for command in ("datasets", "models", "show", "workload", "impact", "provenance", "export", "status", "on", "off"):
        assert command in help_text
    assert "%lineage" in help_text and "%%lineage" not in help_text


def test_artifact_graph_and_overviews_are_widgets(shell):
    widget = shell.run_line_magic("lineage", "/data/features.parquet")
    assert widget.mode == "graph" and widget.node_count >= 3
    shown = shell.run_line_magic("lineage", "show /data/features.parquet")
    assert shown.panel["kind"] == "artifact" and shown.panel["data"]["upstream_count"] == 1
    workload = shell.run_line_magic("lineage", "workload train")
    assert workload.panel["kind"] == "workload" and workload.panel["data"]["name"] == "train"
    models = shell.run_line_magic("lineage", "models")
    assert models.mode == "table" and [r["name"] for r in models.table["rows"]] == ["/data/model"]
    datasets = shell.run_line_magic("lineage", "datasets --search report_1")
    assert len(datasets.table["rows"]) == 10 and datasets.table["filters"]["search"] == "report_1"
    impact = shell.run_line_magic("lineage", "impact /data/raw.csv")
    assert "/data/scores.parquet" in {r["name"] for r in impact.table["rows"]}


def test_variable_that_is_not_an_artifact_is_a_usage_error(shell):
    shell.user_ns["not_an_artifact"] = 42
    result = shell.run_cell("%lineage show not_an_artifact")
    assert type(result.error_in_exec).__name__ == "UsageError"
    assert "int" in str(result.error_in_exec)


def test_wrong_arguments_give_a_usage_message_not_a_traceback(shell, capsys):
    result = shell.run_cell("%lineage datasets --bogus")
    assert type(result.error_in_exec).__name__ == "UsageError"
    assert "usage: %lineage" in str(result.error_in_exec)
    shell.run_line_magic("lineage", "show /data/nope.csv")
    assert "no artifact '/data/nope.csv'" in capsys.readouterr().err


def test_export_html_and_status(shell, tmp_path, capsys):
    out = tmp_path / "graph.html"
    shell.run_line_magic("lineage", f"export /data/features.parquet --html {out}")
    assert out.exists() and "wrote" in capsys.readouterr().out
    shell.run_line_magic("lineage", "status")
    text = capsys.readouterr().out
    assert "store:" in text and "events 34" in text  # 33 imported + this session's START
    shell.run_line_magic("lineage", "off")
    assert lineage_nb.status()["hooks"] == []


def test_each_cell_is_remembered_for_the_runs_it_starts(shell):
    from lineage_nb.runtime.session import current_session

    cell = "answer = 42"
    for _ in range(3):  # the prompt number the user sees, whichever way this IPython counts
        result = shell.run_cell(cell, store_history=True)
        cell_id, count, source = current_session()._cell
        assert source == cell and count == result.execution_count
    cell_id, count, source = current_session()._cell
    assert cell_id is None  # a terminal sends no cell id; JupyterLab's is checked in the browser test


def test_bare_lineage_is_this_notebooks_workload(shell):
    from lineage_nb.runtime.session import current_session

    widget = shell.run_line_magic("lineage", "")
    own = current_session().workload
    assert widget.view.nodes[widget.focus[0]]["name"] == own.name


def test_disabled_by_environment_registers_the_magic_but_hooks_nothing(store_path, monkeypatch):
    monkeypatch.setenv("LINEAGE_NB_ENABLED", "false")
    ip = ipython_shell()
    before = len(ip.events.callbacks["pre_run_cell"])
    ip.run_line_magic("load_ext", "lineage_nb")
    try:
        assert "lineage" in ip.magics_manager.magics["line"]
        assert len(ip.events.callbacks["pre_run_cell"]) == before
    finally:
        ip.run_line_magic("unload_ext", "lineage_nb")


ODD = "/data/my dir/<odd> it's.csv"


def test_values_with_spaces_quotes_and_angle_brackets_reach_the_command_whole(shell, capsys):
    with lineage_nb.open_store() as store:
        assert not store.ingest([run_event("odd_job", [ODD], ["/data/odd out.csv"], 50)]).rejected
    shell.user_ns["odd"] = ODD
    shell.user_ns["folder"] = "/data/my dir"
    for line in ("show $odd", "show {odd}", "show '{odd}'", 'show "{folder}/<odd> it\'s.csv"', "show {folder + '/<odd> it' + chr(39) + 's.csv'}"):
        widget = shell.run_line_magic("lineage", line)
        assert widget is not None and widget.panel["data"]["name"] == ODD, line
    shell.run_line_magic("lineage", 'show "/data/not here.csv"')
    assert "no artifact '/data/not here.csv'" in capsys.readouterr().err
    shell.run_line_magic("lineage", "show $$odd{{x}}")  # escaped: no expansion
    assert "no artifact '$odd{x}'" in capsys.readouterr().err
    result = shell.run_cell("%lineage show 'unclosed")
    assert type(result.error_in_exec).__name__ == "UsageError" and "no closing quotation" in str(result.error_in_exec)


def test_every_command_has_help_and_the_magic_help_lists_every_option(shell, capsys):
    from lineage_nb.commands.parser import subparsers

    magic = shell.magics_manager.magics["line"]["lineage"]
    commands = subparsers(magic.parser)
    for name, command in commands.items():
        assert shell.run_line_magic("lineage", f"{name} --help") is None
        out = capsys.readouterr().out
        assert out.startswith(f"usage: %lineage {name}"), out[:80]
        for option in (o for a in command._actions for o in a.option_strings):
            assert option in out, (name, option)
            assert option in magic.__doc__, (name, option)
    shell.run_line_magic("lineage", "-h")
    assert capsys.readouterr().out.startswith("usage: %lineage")


def test_workloads_is_a_table_of_type_owner_project_and_io_and_every_list_filters_by_project(shell):
    table = shell.run_line_magic("lineage", "workloads --project churn")
    assert table.mode == "table" and table.table["columns"] == ["name", "type", "owner", "project", "last_run_at", "reads", "writes"]
    assert [(r["name"], r["reads"], r["writes"]) for r in table.table["rows"]] == [("score", 2, 1), ("train", 1, 1), ("prepare", 2, 1)]
    assert table.table["filters"] == {"kind": "workload", "search": None, "project": "churn"}
    datasets = shell.run_line_magic("lineage", "datasets --project reporting --limit 100")
    assert len(datasets.table["rows"]) == 30
    models = shell.run_line_magic("lineage", "models --project reporting")
    assert models.table["rows"] == []


def test_a_ray_dataset_variable_is_what_it_reads_and_a_written_one_asks_for_its_path(shell, ray_local, tmp_path):
    import pandas as pd

    raw = tmp_path / "raw.csv"
    pd.DataFrame({"x": [1, 2]}).to_csv(raw, index=False)
    features = ray_local.data.read_csv(str(raw)).map_batches(lambda b: b, batch_format="pandas")
    shell.user_ns["features"] = features
    shown = shell.run_line_magic("lineage", "show features")  # raw.csv is known: pandas capture saw it written
    assert shown.panel["kind"] == "artifact" and shown.panel["data"]["name"] == str(raw), "a dataset not written yet is what it reads"
    features.write_parquet(str(tmp_path / "features"))
    result = shell.run_cell("%lineage features")
    assert type(result.error_in_exec).__name__ == "UsageError" and "give the path it was written to" in str(result.error_in_exec)
    shell.user_ns["items"] = ray_local.data.from_items([{"a": 1}])
    result = shell.run_cell("%lineage items")
    assert "neither reads nor writes storage" in str(result.error_in_exec)
