"""The shape of the code: layers point one way (import-linter), lint is clean (ruff), and the CLI's read path stays light."""
import json
import subprocess
import sys
from pathlib import Path

from shared_dir import SHARED

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent


def test_import_contracts_are_kept():
    done = subprocess.run([str(BIN / "lint-imports"), "--no-cache"], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
    assert done.stdout.count(" KEPT") == 3


def test_an_upward_import_breaks_the_contract(tmp_path):
    """The contract can fail: a copy of the package where the store imports a front end is refused."""
    import shutil

    copy = tmp_path / "project"
    shutil.copytree(ROOT / "lineage_nb", copy / "lineage_nb", ignore=shutil.ignore_patterns("__pycache__", "static"))
    shutil.copy(ROOT / "pyproject.toml", copy / "pyproject.toml")
    ids = copy / "lineage_nb" / "store" / "ids.py"
    ids.write_text(ids.read_text() + "\nfrom lineage_nb.cli import main  # an upward import\n")
    done = subprocess.run([str(BIN / "lint-imports"), "--no-cache"], cwd=copy, capture_output=True, text=True, timeout=300,
                          env={"PYTHONPATH": str(copy), "PATH": str(BIN)})
    assert done.returncode != 0 and "lineage_nb.store.ids -> lineage_nb.cli.main" in done.stdout


def test_ruff_finds_nothing():
    done = subprocess.run([str(BIN / "ruff"), "check", "lineage_nb", "tests", "benchmarks", "scripts"], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout[-4000:]


def test_a_cli_query_imports_neither_the_openlineage_client_nor_the_write_path(tmp_path):
    """What `lineage-nb show X --json` loads: the read path only."""
    store = tmp_path / "s.db"
    subprocess.run([sys.executable, "-m", "lineage_nb.cli", "--store", str(store), "import",
                    str(SHARED / "fixtures" / "openlineage" / "marquez-food-delivery.json")], check=True, capture_output=True)
    probe = (
        "import sys, json\n"
        "from lineage_nb.cli.main import main\n"
        f"code = main(['--store', {str(store)!r}, 'show', 'public.orders', '--json'])\n"
        "print(json.dumps(sorted(m for m in sys.modules if m.startswith(('openlineage', 'lineage_nb.store.batch', 'lineage_nb.store.derive', "
        "'lineage_nb.runtime', 'lineage_nb.capture', 'requests', 'starlette')))), file=sys.stderr)\n"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["name"] == "public.orders"
    assert json.loads(done.stderr.strip().splitlines()[-1]) == []


def test_help_loads_only_the_parser():
    probe = (
        "import sys\n"
        "from lineage_nb.cli.main import main\n"
        "try:\n    main(['--help'])\nexcept SystemExit:\n    pass\n"
        "print(sorted(m for m in sys.modules if m.startswith(('sqlalchemy', 'openlineage', 'lineage_nb.store', 'lineage_nb.query.sql'))), file=sys.stderr)\n"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=120)
    assert done.stderr.strip().splitlines()[-1] == "[]"
