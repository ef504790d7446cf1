"""The ledger commands end to end: migrate, verify, export, prune, dsr (exit codes and output)."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

from consentgate.cli.main import main
from consentgate.ledger.records import ConsentRecord
from consentgate.store import SQLiteStore
from tests.support.stores import make_record, postgres_schema, postgres_url, raw_execute

DAY = 86400.0


def _url(path: Path) -> str:
    return f"sqlite:///{path}"


def _fill(path: Path, records: list[ConsentRecord]) -> list[ConsentRecord]:
    async def run() -> list[ConsentRecord]:
        store = SQLiteStore(path)
        await store.open()
        try:
            return [await store.append(r, shown=b"banner text") for r in records]
        finally:
            await store.close()

    return asyncio.run(run())


@pytest.fixture
def ledger(tmp_path: Path) -> tuple[Path, list[ConsentRecord]]:
    path = tmp_path / "ledger.db"
    records = _fill(
        path,
        [
            make_record("alice", when=1_767_225_600.0),  # 2026-01-01
            make_record("bob", when=1_767_312_000.0),  # 2026-01-02
            make_record("alice", when=1_767_398_400.0, action="withdraw"),  # 2026-01-03
        ],
    )
    return path, records


def test_migrate_creates_then_reports_up_to_date(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    url = _url(tmp_path / "new.db")
    assert main(["migrate", "--database", url]) == 0
    assert "migrated to schema version" in capsys.readouterr().out
    assert main(["migrate", "--database", url]) == 0
    assert "up to date" in capsys.readouterr().out


def test_commands_refuse_a_missing_database(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["verify", "--database", _url(tmp_path / "absent.db")]) == 1
    err = capsys.readouterr().err
    assert "consentgate migrate" in err
    assert err.count("\n") == 1
    assert not (tmp_path / "absent.db").exists()


def test_verify_ok_then_names_the_deleted_record(
    ledger: tuple[Path, list[ConsentRecord]], capsys: pytest.CaptureFixture[str]
) -> None:
    path, records = ledger
    assert main(["verify", "--database", _url(path)]) == 0
    assert "ok: 3 records in 2 chains" in capsys.readouterr().out
    store = SQLiteStore(path)
    raw_execute(store, "DELETE FROM records WHERE record_id = ?", [records[0].record_id])
    assert main(["verify", "--database", _url(path)]) == 1
    captured = capsys.readouterr()
    assert f"record {records[0].record_id}: deleted" in captured.out
    assert "1 problems" in captured.err


def test_export_jsonl_with_time_filter(
    ledger: tuple[Path, list[ConsentRecord]], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path, records = ledger
    out = tmp_path / "out.jsonl"
    code = main(
        ["export", "--database", _url(path), "--since", "2026-01-02", "--until", "2026-01-03T00:00:00Z",
         "-o", str(out)]
    )  # fmt: skip
    assert code == 0
    lines = [json.loads(line) for line in out.read_text().splitlines()]
    assert [line["record_id"] for line in lines] == [records[1].record_id]
    assert "exported 1 records" in capsys.readouterr().err


def test_export_csv_to_stdout_by_consent_id(
    ledger: tuple[Path, list[ConsentRecord]], capsys: pytest.CaptureFixture[str]
) -> None:
    path, _ = ledger
    assert main(["export", "--database", _url(path), "--format", "csv", "--consent-id", "alice"]) == 0
    captured = capsys.readouterr()
    rows = captured.out.splitlines()
    assert rows[0].startswith("record_id,consent_id,time,time_utc")
    assert len(rows) == 3
    assert captured.err == ""  # not a terminal: no progress bar


@pytest.mark.parametrize(
    "argv",
    [
        ["export", "--since", "yesterday"],
        ["export", "--format", "xml"],
        ["dsr", "frobnicate", "x"],
    ],
)
def test_bad_usage_exits_2(
    argv: list[str], ledger: tuple[Path, list[ConsentRecord]], capsys: pytest.CaptureFixture[str]
) -> None:
    path, _ = ledger
    with pytest.raises(SystemExit) as exited:
        main([*argv, "--database", _url(path)])
    assert exited.value.code == 2
    assert "error" in capsys.readouterr().err


def test_export_since_after_until_exits_2(
    ledger: tuple[Path, list[ConsentRecord]], capsys: pytest.CaptureFixture[str]
) -> None:
    path, _ = ledger
    assert main(["export", "--database", _url(path), "--since", "2026-02-01", "--until", "2026-01-01"]) == 2
    assert "--since must be before --until" in capsys.readouterr().err


def test_prune_uses_the_configured_retention(
    ledger: tuple[Path, list[ConsentRecord]], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path, _ = ledger
    _fill(path, [make_record("recent", when=4_000_000_000.0)])
    config = tmp_path / "consentgate.toml"
    config.write_text(f'database = "{_url(path)}"\n[ledger]\nretention_days = 30\n')
    assert main(["prune", "--config", str(config)]) == 0
    assert "pruned 3 records" in capsys.readouterr().out
    assert main(["export", "--config", str(config)]) == 0
    exported = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [line["consent_id"] for line in exported] == ["recent"]


def test_dsr_access_export_delete(
    ledger: tuple[Path, list[ConsentRecord]], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path, records = ledger
    url = _url(path)
    assert main(["dsr", "access", "alice", "--database", url]) == 0
    data = json.loads(capsys.readouterr().out)
    assert [r["record_id"] for r in data["records"]] == [records[0].record_id, records[2].record_id]
    assert data["shown"] == {"a" * 64: "banner text"}

    target = tmp_path / "alice.json"
    assert main(["dsr", "export", "alice", "--database", url, "-o", str(target)]) == 0
    assert json.loads(target.read_text())["records"] == data["records"]

    assert main(["dsr", "delete", "alice", "--database", url]) == 2
    assert "--yes" in capsys.readouterr().err
    assert main(["dsr", "delete", "alice", "--database", url, "--yes"]) == 0
    assert "deleted 2 records" in capsys.readouterr().out
    assert main(["dsr", "access", "alice", "--database", url]) == 0
    assert json.loads(capsys.readouterr().out)["records"] == []
    assert main(["verify", "--database", url]) == 0
    assert "(2 tombstones)" in capsys.readouterr().out


def test_dsr_bad_subject_exits_2(
    ledger: tuple[Path, list[ConsentRecord]], capsys: pytest.CaptureFixture[str]
) -> None:
    path, _ = ledger
    assert main(["dsr", "access", "bad\tsubject", "--database", _url(path)]) == 2
    assert "consent id" in capsys.readouterr().err


@pytest.mark.postgres
def test_commands_on_postgres(capsys: pytest.CaptureFixture[str]) -> None:
    from consentgate.store.postgres import PostgresStore

    with postgres_schema() as schema:
        url = postgres_url(schema)
        assert main(["verify", "--database", url]) == 1  # not migrated yet: says what to do
        assert "consentgate migrate" in capsys.readouterr().err
        assert main(["migrate", "--database", url]) == 0
        assert "migrated to schema version" in capsys.readouterr().out

        async def fill() -> None:
            store = PostgresStore(url, migrate=False)
            await store.open()
            try:
                for i in range(5):
                    await store.append(make_record("pg", when=1000.0 + i))
            finally:
                await store.close()

        asyncio.run(fill())
        assert main(["verify", "--database", url]) == 0
        assert "ok: 5 records in 1 chains" in capsys.readouterr().out
        assert main(["export", "--database", url, "--since", "1002"]) == 0
        assert len(capsys.readouterr().out.splitlines()) == 3
        assert main(["dsr", "delete", "pg", "--yes", "--database", url]) == 0
        assert main(["verify", "--database", url]) == 0
        assert "(5 tombstones)" in capsys.readouterr().out


def test_export_and_dsr_by_linked_identifier(
    ledger: tuple[Path, list[ConsentRecord]], capsys: pytest.CaptureFixture[str]
) -> None:
    path, records = ledger
    email = "email:" + "e" * 64

    async def link() -> None:
        store = SQLiteStore(path)
        await store.open()
        try:
            await store.add_links("bob", [email], now=1.0, source="form")
        finally:
            await store.close()

    asyncio.run(link())
    assert main(["export", "--database", _url(path), "--subject", email]) == 0
    exported = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [line["record_id"] for line in exported] == [records[1].record_id]
    assert main(["dsr", "delete", email, "--yes", "--database", _url(path)]) == 0
    assert "deleted 1 records" in capsys.readouterr().out
    assert main(["export", "--database", _url(path)]) == 0
    assert {json.loads(line)["consent_id"] for line in capsys.readouterr().out.splitlines()} == {"alice"}
