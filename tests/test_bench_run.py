"""``bench/run``: wrk is asked for only by the benchmarks that drive it."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def path_without_wrk(tmp_path: Path) -> str:
    """A PATH holding only what the script runs, and no wrk."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for tool in ("bash", "grep", "date", "dirname", "true"):
        found = shutil.which(tool)
        assert found is not None, tool
        (bin_dir / tool).symlink_to(found)
    return str(bin_dir)


def _run(path: str, *wanted: str) -> subprocess.CompletedProcess[str]:
    # PYTHON=true: every selected benchmark "passes" at once, so only the script's own checks run.
    env = {**os.environ, "PATH": path, "PYTHON": str(Path(path) / "true")}
    return subprocess.run(
        [str(ROOT / "bench" / "run"), *wanted],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_an_in_process_benchmark_runs_without_wrk(path_without_wrk: str) -> None:
    done = _run(path_without_wrk, "rewriter", "catalog")
    assert done.returncode == 0, done.stderr
    assert "=== bench/bench_rewriter.py" in done.stdout
    assert "=== bench/bench_catalog.py" in done.stdout


def test_a_benchmark_over_http_asks_for_wrk_by_name(path_without_wrk: str) -> None:
    done = _run(path_without_wrk, "rewriter", "http")
    assert done.returncode == 1
    assert "bench/bench_http.py needs wrk" in done.stderr
    assert "===" not in done.stdout  # refused before anything ran
