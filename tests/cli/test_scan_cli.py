"""`consentgate scan`: exit status, JSON and table output, one-line errors, the progress bar."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from consentgate.cli.main import main
from tests.support.scan_site import UNKNOWN_HOST, ScanSite
from tests.support.site import free_port


@pytest.fixture(scope="module")
def site() -> Iterator[ScanSite]:
    with ScanSite() as running:
        yield running


def test_cli_exit_status_and_json(site: ScanSite, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["scan", site.url, "--timeout", "0.5", "--format", "json", "--concurrency", "2"])
    out = capsys.readouterr().out
    data = json.loads(out)
    assert code == 1
    assert data["failed"] is True
    assert [u["host"] for u in data["unclassified"]] == [UNKNOWN_HOST]
    assert {s["id"] for s in data["categories"]["advertising"]} >= {"meta-pixel"}
    problems = {p["url"]: p["problem"] for p in data["pages"] if p["problem"]}
    assert problems[site.url + "gone"] == "HTTP 404 Not Found"


def test_cli_table_names_everything(site: ScanSite, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["scan", site.url, "--timeout", "0.5"])
    out = capsys.readouterr().out
    assert code == 1
    assert "== UNCLASSIFIED third-party hosts" in out
    assert f'[services.cdn-mystery-metrics-example]\n      name = "{UNKNOWN_HOST}"' in out
    assert "/blog:3" in out
    assert f"{site.url}loop-a: redirect loop" in out
    assert "Google Analytics 4" in out and "inert until analytics is granted" in out


def test_cli_bad_target_is_one_line(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code = main(["scan", str(tmp_path / "nope.html")])
    err = capsys.readouterr().err
    assert code == 1
    assert err.count("\n") == 1 and "neither an http(s) URL nor an existing file" in err
    with pytest.raises(SystemExit) as exc:
        main(["scan", "x.html", "--max-pages", "0"])
    assert exc.value.code == 2


def test_cli_unreachable_start_page_fails(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["scan", f"http://127.0.0.1:{free_port()}/", "--timeout", "2"])
    captured = capsys.readouterr()
    assert code == 1
    assert "unreachable" in captured.err and "Traceback" not in captured.err


def test_a_progress_bar_on_a_terminal(site: ScanSite) -> None:
    # stderr is a pseudo-terminal: the bar is drawn there, and stdout still gets the whole report.
    main_fd, terminal_fd = os.openpty()
    try:
        done = subprocess.run(
            [
                sys.executable,
                "-m",
                "consentgate.cli",
                "scan",
                site.url,
                "--timeout",
                "0.5",
                "--format",
                "json",
            ],
            stdout=subprocess.PIPE,
            stderr=terminal_fd,
            timeout=60,
            check=False,
        )
        os.close(terminal_fd)
        drawn = b""
        while True:
            try:
                chunk = os.read(main_fd, 65536)
            except OSError:  # the terminal is closed once everything written is read
                break
            if not chunk:
                break
            drawn += chunk
    finally:
        os.close(main_fd)
    assert done.returncode == 1
    assert json.loads(done.stdout)["failed"] is True
    assert b"\rscanning [" in drawn and b"pages" in drawn
    assert b"Traceback" not in drawn
