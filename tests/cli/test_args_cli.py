"""What every command shares (``consentgate.cli.args``), run as the real command in a subprocess.

The config a command reads (``--config``, else ``./consentgate.toml``), ``--database`` over the
config's, and the error contract: a missing config file, a bad config value, a bad database URL or
an unusable database is one ``consentgate: error: ...`` line and exit 1, never a traceback.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

#: One command of each group (module) that reads a config, with what it needs besides the config.
CONFIG_COMMANDS: list[list[str]] = [
    ["verify"],
    ["dsr", "access", "alice"],
    ["logs", "stats"],
    ["keys", "list"],
    ["worker", "--once"],
    ["scan", "page.html"],
]
#: The commands that take no --database (the config file is positional for the first two).
NO_DATABASE = {"check", "declaration", "scan"}
MISSING_CONFIG = "consentgate: error: config file 'nosuch.toml' does not exist; pass an existing path."
BAD_MODE = "consentgate: error: 'mode' is 'x'; allowed values are 'uniform', 'per_visitor'."


def _cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "consentgate.cli", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        check=False,
        timeout=60,
    )


def _error_line(result: subprocess.CompletedProcess[str], code: int = 1) -> str:
    """The one error line of a failed command (asserting there is exactly one, and no traceback)."""
    assert "Traceback" not in result.stderr, result.stderr
    assert result.returncode == code, result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("consentgate: error: "), result.stderr
    return lines[0]


def _with_config(argv: list[str], config: str) -> list[str]:
    return [*argv[:1], config] if argv[0] in ("check", "declaration") else [*argv, "--config", config]


@pytest.mark.parametrize("argv", [["check"], ["declaration"], *CONFIG_COMMANDS], ids=" ".join)
def test_a_missing_config_file_is_one_line(argv: list[str], tmp_path: Path) -> None:
    result = _cli(*_with_config(argv, "nosuch.toml"), cwd=tmp_path)
    assert _error_line(result) == MISSING_CONFIG
    assert list(tmp_path.iterdir()) == []  # nothing created on the way out


@pytest.mark.parametrize("argv", [["check"], ["declaration"], *CONFIG_COMMANDS], ids=" ".join)
def test_a_bad_config_value_is_one_line(argv: list[str], tmp_path: Path) -> None:
    (tmp_path / "bad.toml").write_text("mode = 'x'\n")
    assert _error_line(_cli(*_with_config(argv, "bad.toml"), cwd=tmp_path)) == BAD_MODE


@pytest.mark.parametrize(
    "argv", [argv for argv in CONFIG_COMMANDS if argv[0] not in NO_DATABASE], ids=" ".join
)
def test_a_bad_database_url_is_one_line(argv: list[str], tmp_path: Path) -> None:
    line = _error_line(_cli(*argv, "--database", "mysql://db.example/consent", cwd=tmp_path))
    assert "'database' is 'mysql://db.example/consent'; use 'sqlite:///" in line


def test_the_config_file_in_the_working_directory_is_read(tmp_path: Path) -> None:
    (tmp_path / "consentgate.toml").write_text('database = "sqlite:///from-default.db"\n')
    result = _cli("migrate", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "from-default.db").exists()
    result = _cli("check", cwd=tmp_path)
    assert result.stdout.startswith("ok: consentgate.toml is valid")
    assert "database sqlite:///from-default.db" in result.stdout


def test_without_a_config_file_the_defaults_are_used(tmp_path: Path) -> None:
    result = _cli("check", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("ok: the built-in defaults is valid")


def test_database_overrides_the_config_even_a_bad_one(tmp_path: Path) -> None:
    (tmp_path / "consentgate.toml").write_text('database = "mysql://db.example/consent"\n')
    result = _cli("migrate", "--database", "sqlite:///override.db", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "override.db").exists()
    for argv in (["verify"], ["keys", "list"], ["logs", "stats"]):
        result = _cli(*argv, "--database", "sqlite:///override.db", cwd=tmp_path)
        assert result.returncode == 0, (argv, result.stderr)


@pytest.mark.parametrize("argv", [["verify"], ["export"], ["keys", "list"], ["logs", "stats"]], ids=" ".join)
def test_a_file_that_is_not_a_database_is_one_line(argv: list[str], tmp_path: Path) -> None:
    (tmp_path / "notes.db").write_text("not a database\n" * 100)
    line = _error_line(_cli(*argv, "--database", "sqlite:///notes.db", cwd=tmp_path))
    assert "cannot open the SQLite database 'notes.db': file is not a database." in line


def test_an_unmigrated_database_says_to_migrate(tmp_path: Path) -> None:
    line = _error_line(_cli("verify", "--database", "sqlite:///absent.db", cwd=tmp_path))
    assert "run 'consentgate migrate'" in line
    assert not (tmp_path / "absent.db").exists()


def test_an_unreachable_postgres_is_one_line(tmp_path: Path) -> None:
    # Port 1 on the loopback refuses at once; with no driver installed the line says to install it.
    line = _error_line(_cli("keys", "list", "--database", "postgresql://nobody@127.0.0.1:1/x", cwd=tmp_path))
    assert "PostgreSQL" in line


def test_migrating_a_file_that_is_not_a_database_is_one_line(tmp_path: Path) -> None:
    (tmp_path / "notes.db").write_text("not a database\n" * 100)
    _error_line(_cli("migrate", "--database", "sqlite:///notes.db", cwd=tmp_path))


def test_a_database_below_a_file_is_one_line(tmp_path: Path) -> None:
    (tmp_path / "plain").write_text("a file, not a directory\n")
    _error_line(_cli("keys", "list", "--database", "sqlite:///plain/consent.db", cwd=tmp_path))


@pytest.mark.parametrize("argv", [["export"], ["dsr", "export", "alice"]], ids=" ".join)
def test_an_output_file_that_cannot_be_written_is_one_line(argv: list[str], tmp_path: Path) -> None:
    assert _cli("migrate", "--database", "sqlite:///l.db", cwd=tmp_path).returncode == 0
    result = _cli(*argv, "--database", "sqlite:///l.db", "-o", "no/such/dir/out", cwd=tmp_path)
    assert (
        _error_line(result)
        == "consentgate: error: cannot write 'no/such/dir/out': No such file or directory."
    )


@pytest.mark.parametrize(
    "argv",
    [["verify", "--nope"], ["keys"], ["webhooks", "secret", "--database", "sqlite:///x.db"]],
    ids=" ".join,
)
def test_bad_usage_is_exit_2(argv: list[str], tmp_path: Path) -> None:
    result = _cli(*argv, cwd=tmp_path)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert result.stderr.splitlines()[-1].startswith("consentgate")
