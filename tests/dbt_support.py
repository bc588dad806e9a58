"""Real dbt-ol runs for the interoperability tests: a virtual environment of dbt's own, made once and
cached, and a jaffle-shop-like project (tests/fixtures/jaffle: seeds -> staging -> marts, with tests)."""
from __future__ import annotations

import fcntl
import hashlib
import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

PROJECT = Path(__file__).parent / "fixtures" / "jaffle"
REQUIREMENTS = PROJECT / "requirements-dbt.txt"
VENV = Path.home() / ".cache" / "lineage_nb" / "dbt-venv"
TESTED_NODES = ("model", "seed")  # dbt nodes that are datasets; test nodes and their audit tables are not models


def dbt_venv() -> Path:
    """The bin directory of a virtual environment with dbt-ol, made on first use and whenever
    requirements-dbt.txt changes (one process at a time; the others wait for it)."""
    stamp = VENV / "requirements.sha256"
    wanted = hashlib.sha256(REQUIREMENTS.read_bytes()).hexdigest()
    VENV.parent.mkdir(parents=True, exist_ok=True)
    with open(VENV.parent / "dbt-venv.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (stamp.exists() and stamp.read_text() == wanted and (VENV / "bin" / "dbt-ol").exists()):
            shutil.rmtree(VENV, ignore_errors=True)
            base = getattr(sys, "_base_executable", sys.executable)
            subprocess.run([base, "-m", "venv", str(VENV)], check=True)
            subprocess.run([str(VENV / "bin" / "pip"), "install", "--quiet", "-r", str(REQUIREMENTS)], check=True, timeout=1_200)
            stamp.write_text(wanted)
    return VENV / "bin"


@dataclass
class DbtRun:
    project: Path
    database: Path
    manifest: dict
    output: str

    @property
    def namespace(self) -> str:
        return f"duckdb://{self.database}"

    def dataset(self, unique_id: str) -> str:
        node = self.manifest["nodes"][unique_id]
        return f"{node['database']}.{node['schema']}.{node.get('alias') or node['name']}"

    def datasets(self) -> dict[str, str]:
        """Dataset name -> dbt unique id, for models and seeds."""
        return {self.dataset(uid): uid for uid, node in self.manifest["nodes"].items() if node["resource_type"] in TESTED_NODES}

    def related(self, unique_id: str, key: str) -> set[str]:
        """Every model or seed reachable from a node through dbt's own parent_map or child_map."""
        found, todo = set(), [unique_id]
        while todo:
            for other in self.manifest[key].get(todo.pop(), []):
                if other not in found and other.split(".")[0] in TESTED_NODES:
                    found.add(other)
                    todo.append(other)
        return {self.dataset(uid) for uid in found}


def run_dbt_ol(root: Path, arguments: list[str], environment: dict[str, str]) -> DbtRun:
    """Copy the project under `root` and run `dbt-ol ARGUMENTS` on it against a DuckDB file there."""
    project, database = root / "project", root / "jaffle.duckdb"
    shutil.copytree(PROJECT, project, ignore=shutil.ignore_patterns("target", "logs", "*.txt"))
    (root / "profiles.yml").write_text(
        f"jaffle_shop:\n  target: dev\n  outputs:\n    dev:\n      type: duckdb\n      path: {database}\n      threads: 1\n"
    )
    bin_ = dbt_venv()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENLINEAGE", "PYTHON", "VIRTUAL_ENV"))}
    env.update(PATH=f"{bin_}{os.pathsep}{env.get('PATH', '')}", DBT_SEND_ANONYMOUS_USAGE_STATS="false", DO_NOT_TRACK="1", **environment)
    done = subprocess.run(
        [str(bin_ / "dbt-ol"), *arguments, "--project-dir", str(project), "--profiles-dir", str(root)],
        cwd=root, env=env, capture_output=True, text=True, timeout=600,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    manifest = json.loads((project / "target" / "manifest.json").read_text())
    return DbtRun(project, database, manifest, done.stdout + done.stderr)
