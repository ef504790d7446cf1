"""The raw files: stamped with the hour (or day) of their lines, appended to under a lock."""

from __future__ import annotations

from pathlib import Path

from consentgate.logs.files import append_locked, raw_files, stamped_path


def test_lines_go_to_the_file_of_their_hour(tmp_path: Path) -> None:
    base = tmp_path / "logs" / "requests.log"
    t = 1_795_000_000.0  # 2026-11-18T11:06:40Z
    assert stamped_path(base, "hourly", t).name == "requests.2026-11-18T11.log"
    assert stamped_path(base, "daily", t).name == "requests.2026-11-18.log"
    append_locked(stamped_path(base, "hourly", t), b"{}\n")
    append_locked(stamped_path(base, "daily", t), b"{}\n")
    found = sorted((f.path.name, f.end - f.start) for f in raw_files(base))
    assert found == [("requests.2026-11-18.log", 86400), ("requests.2026-11-18T11.log", 3600)]


def test_appends_follow_a_file_renamed_away(tmp_path: Path) -> None:
    """A writer never lands in a file a roll-up has claimed (renamed) meanwhile."""
    target = tmp_path / "requests.2026-11-18T11.log"
    append_locked(target, b"one\n")
    target.rename(tmp_path / "claimed")
    append_locked(target, b"two\n")
    assert target.read_bytes() == b"two\n"
    assert (tmp_path / "claimed").read_bytes() == b"one\n"
