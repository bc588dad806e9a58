"""The `lineage-nb` CLI contract: commands, stable --json keys, exit codes, one-line errors."""
import json
import subprocess
import sys

import pytest
from conftest import FIXTURES

from lineage_nb.cli.main import main

ROW_KEYS = {"namespace", "name", "uri", "kind", "format", "created_at", "created_by"}
WORKLOAD_KEYS = {"namespace", "name", "type", "last_run_at"}


@pytest.fixture
def food_store(tmp_path):
    path = tmp_path / "cli.db"
    assert main(["--store", str(path), "import", str(FIXTURES / "marquez-food-delivery.json")]) == 0
    return path


def run_json(capsys, *argv):
    capsys.readouterr()
    code = main([*argv, "--json"])
    out = capsys.readouterr().out
    return code, json.loads(out)


def test_datasets_rows_have_the_stable_keys(food_store, capsys):
    code, rows = run_json(capsys, "--store", str(food_store), "datasets", "--search", "orders")
    assert code == 0 and rows
    assert all(ROW_KEYS <= set(row) for row in rows)
    assert {r["name"] for r in rows} == {"public.orders", "public.orders_7_days", "public.popular_orders_day_of_week"}


def test_show_names_producers_and_consumers(food_store, capsys):
    code, data = run_json(capsys, "--store", str(food_store), "show", "public.orders_7_days")
    assert code == 0
    assert ROW_KEYS | {"schema", "upstream", "downstream"} <= set(data)
    assert all(WORKLOAD_KEYS <= set(w) for w in data["upstream"] + data["downstream"])
    assert [w["name"] for w in data["upstream"]] == ["etl_orders_7_days"]
    assert {"name": "order_id", "type": "INTEGER"} in data["schema"]


def test_show_by_namespace_and_name(food_store, capsys):
    code, data = run_json(capsys, "--store", str(food_store), "show", "--namespace", "food_delivery", "--name", "public.orders")
    assert code == 0 and [w["name"] for w in data["downstream"]] == ["etl_orders_7_days"]


def test_workload_overview_counts_what_it_read_and_wrote(food_store, capsys):
    code, data = run_json(capsys, "--store", str(food_store), "workload", "etl_delivery_7_days")
    assert code == 0 and data["upstream_count"] == 5 and data["downstream_count"] == 1


def test_graph_json_shape(food_store, capsys):
    code, data = run_json(capsys, "--store", str(food_store), "graph", "public.orders_7_days", "--depth", "2", "--direction", "up")
    assert code == 0 and set(data) >= {"nodes", "edges", "truncated"}
    assert all({"id", "kind", "namespace", "name", "label", "expandable"} <= set(n) for n in data["nodes"])
    names = {n["name"] for n in data["nodes"]}
    assert "public.orders" in names and "public.delivery_7_days" not in names


def test_impact_and_provenance(food_store, capsys):
    _, impact = run_json(capsys, "--store", str(food_store), "impact", "public.orders")
    assert "public.delivery_7_days" in {a["name"] for a in impact["artifacts"]}
    _, provenance = run_json(capsys, "--store", str(food_store), "provenance", "public.orders")
    assert provenance["artifacts"] == [] and [w["name"] for w in provenance["workloads"]] == ["etl_orders"]


def test_unknown_artifact_exits_2_with_closest_matches(food_store, capsys):
    capsys.readouterr()
    assert main(["--store", str(food_store), "show", "public.ordrs"]) == 2
    err = capsys.readouterr().err
    assert "public.ordrs" in err and "public.orders" in err and err.count("\n") == 1


def test_export_writes_every_raw_event(food_store, tmp_path, capsys):
    out = tmp_path / "backup.jsonl"
    assert main(["--store", str(food_store), "export", str(out)]) == 0
    lines = out.read_text().splitlines()
    assert len(lines) == 26
    original = json.loads((FIXTURES / "marquez-food-delivery.json").read_text())
    source = original[0]["outputs"][0]["facets"]["dataSource"]
    assert "food_delivery:food_delivery@" in source["uri"]
    source["uri"] = source["uri"].replace("food_delivery:food_delivery@", "")  # stored without its user and password
    assert json.loads(lines[0]) == original[0]


def test_import_reports_invalid_lines_and_exits_nonzero(tmp_path, capsys):
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"eventTime": "2024-01-01T00:00:00Z"}\n')
    assert main(["--store", str(tmp_path / "x.db"), "import", str(bad)]) == 1
    assert f"{bad}:1:" in capsys.readouterr().out


def test_missing_store_is_one_line_not_a_traceback(tmp_path):
    out = subprocess.run(
        [sys.executable, "-m", "lineage_nb.cli", "--store", str(tmp_path / "none.db"), "datasets"], capture_output=True, text=True
    )
    assert out.returncode == 1 and "Traceback" not in out.stderr and "no lineage store" in out.stderr


@pytest.mark.parametrize("argv", [["show", "--depth", "x"], ["graph", "a", "--direction", "sideways"], ["nosuch"], []])
def test_wrong_arguments_give_usage(argv, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(argv)
    assert exit_info.value.code == 2
    assert "usage:" in capsys.readouterr().err


def test_global_options_work_before_or_after_the_command(food_store, capsys):
    before = run_json(capsys, "--store", str(food_store), "show", "public.orders")
    after = run_json(capsys, "show", "public.orders", "--store", str(food_store))
    assert before == after and before[0] == 0 and before[1]["name"] == "public.orders"


def test_status_reports_the_store_it_was_given(food_store, tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("LINEAGE_NB_STORE", str(tmp_path / "the-default.db"))
    for argv in (["--store", str(food_store), "status"], ["status", "--store", str(food_store)]):
        code, data = run_json(capsys, *argv)
        assert code == 0 and data["store"] == str(food_store) and data["store_counts"]["events"] == 26
        assert data["enabled"] is False and data["hooks"] == []  # a CLI process captures nothing
    assert not (tmp_path / "the-default.db").exists()


def test_on_and_off_are_the_magics_not_the_clis(food_store, capsys):
    for command in ("on", "off"):
        with pytest.raises(SystemExit) as refused:
            main(["--store", str(food_store), command])
        assert refused.value.code == 2 and "invalid choice" in capsys.readouterr().err


def test_workloads_are_listed_most_recent_first(food_store, capsys):
    code, rows = run_json(capsys, "--store", str(food_store), "workloads", "--search", "etl_")
    assert code == 0 and rows and all(WORKLOAD_KEYS <= set(row) for row in rows)
    assert [r["last_run_at"] for r in rows] == sorted((r["last_run_at"] for r in rows), reverse=True)
