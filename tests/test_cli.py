"""The ``thidua-bot`` command: configuration errors, settings, ``--version`` and ``db``."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot import __version__
from bot.config import EXPECTED, OFFICIAL_API_URL, ConfigError, load_settings
from storage.db import latest_version

ROOT = Path(__file__).resolve().parents[1]
TIMEOUT = 30


def clean_env(**values: str) -> dict[str, str]:
    """The current environment without any of the bot's settings, plus ``values``."""
    env = {k: v for k, v in os.environ.items() if k.upper() not in EXPECTED}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    env["PYTHONIOENCODING"] = "utf-8"
    env.update(values)
    return env


def run_cli(
    cwd: Path, *args: str, timeout: float = TIMEOUT, **env: str
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        cwd=cwd,
        env=clean_env(**env),
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=timeout,
        check=False,
    )


@pytest.fixture
def no_settings_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """No bot setting in the environment and a cwd without a ``.env``."""
    for name in EXPECTED:
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.lower(), raising=False)
    cwd = tmp_path / "cwd"
    cwd.mkdir()
    monkeypatch.chdir(cwd)
    return cwd


# --- configuration errors ------------------------------------------------------------------

BAD_VALUES = [
    ("ADMIN_IDS", "abc"),
    ("ADMIN_IDS", "1,x"),
    ("TIMEZONE", "Mars/Olympus"),
    ("DEFAULT_LANGUAGE", "fr"),
    ("WEBHOOK_PORT", "99999"),
    ("WEBHOOK_PORT", "http"),
    ("TELEGRAM_BOT_TOKEN", "nonsense"),
    ("TELEGRAM_API_URL", "ftp://x"),
    ("LOG_LEVEL", "LOUD"),
    ("OFFICE_CHAT_ID", "office"),
    ("WEBHOOK_SECRET", "has spaces!"),
]


@pytest.mark.parametrize(("name", "value"), BAD_VALUES, ids=[f"{n}={v}" for n, v in BAD_VALUES])
def test_bad_setting_is_one_line_exit_2(tmp_path: Path, name: str, value: str) -> None:
    result = run_cli(tmp_path, "run", **{name: value, "DATABASE_PATH": str(tmp_path / "x.db")})
    assert result.returncode == 2, result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert name in lines[0]
    assert "Traceback" not in result.stderr
    if name in ("TELEGRAM_BOT_TOKEN", "WEBHOOK_SECRET"):
        assert value not in result.stderr  # secrets are never echoed
    assert result.stdout == ""
    assert not (tmp_path / "x.db").exists()


def test_bad_setting_in_dotenv_file(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("TIMEZONE=Mars/Olympus\n", encoding="utf-8")
    result = run_cli(tmp_path, "run")
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1
    assert "TIMEZONE" in result.stderr


def test_webhook_without_token(tmp_path: Path) -> None:
    result = run_cli(tmp_path, "run", WEBHOOK_URL="https://bot.example.org/hook")
    assert result.returncode == 2
    assert len(result.stderr.splitlines()) == 1
    assert "WEBHOOK_URL" in result.stderr and "TELEGRAM_BOT_TOKEN" in result.stderr


# --- load_settings ---------------------------------------------------------------------------


def test_defaults(no_settings_env: Path) -> None:
    settings = load_settings(None)
    assert settings.database_path == Path("data/thidua.sqlite3")
    assert settings.default_language == "vi"
    assert settings.timezone == "Asia/Ho_Chi_Minh"
    assert settings.tz.key == "Asia/Ho_Chi_Minh"
    assert settings.telegram_api_url == OFFICIAL_API_URL == "https://api.telegram.org/bot"
    assert settings.base_file_url == "https://api.telegram.org/file/bot"
    assert settings.token is None
    assert settings.admin_ids == frozenset()
    assert settings.office_chat_id is None
    assert settings.log_level == "INFO"
    assert settings.webhook_url is None
    assert settings.webhook_port == 8443
    assert settings.units_file is None


def test_missing_env_file_is_fine(no_settings_env: Path) -> None:
    assert load_settings(no_settings_env / "nope.env").default_language == "vi"


@pytest.mark.parametrize("raw", ["1, 2,3", "1,2,3", " 1 ;2; 3 ", "3,2,1,1,"])
def test_admin_ids(no_settings_env: Path, monkeypatch: pytest.MonkeyPatch, raw: str) -> None:
    monkeypatch.setenv("ADMIN_IDS", raw)
    assert load_settings(None).admin_ids == frozenset({1, 2, 3})


def test_admin_ids_single_and_override(no_settings_env: Path) -> None:
    assert load_settings(None, admin_ids="42").admin_ids == frozenset({42})
    assert load_settings(None, admin_ids=7).admin_ids == frozenset({7})


# ``NAME=`` (as in a .env copied from a template) means "not set": the default applies.
ALL_SETTINGS = sorted(EXPECTED)


@pytest.mark.parametrize("name", ALL_SETTINGS)
def test_empty_value_is_unset(
    no_settings_env: Path, monkeypatch: pytest.MonkeyPatch, name: str
) -> None:
    default = getattr(load_settings(None), name.lower())
    monkeypatch.setenv(name, "")
    assert getattr(load_settings(None), name.lower()) == default
    monkeypatch.setenv(name, "   ")
    assert getattr(load_settings(None), name.lower()) == default


def test_all_empty_values_together(no_settings_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    defaults = load_settings(None)
    for name in ALL_SETTINGS:
        monkeypatch.setenv(name, "")
    settings = load_settings(None)
    assert settings == defaults
    assert settings.token is None
    assert settings.admin_ids == frozenset()
    assert settings.office_chat_id is None
    assert settings.webhook_url is None
    assert settings.webhook_secret is None
    assert settings.units_file is None


def test_empty_values_in_env_file(no_settings_env: Path, tmp_path: Path) -> None:
    env_file = tmp_path / "template.env"
    env_file.write_text("".join(f"{name}=\n" for name in ALL_SETTINGS), encoding="utf-8")
    assert load_settings(env_file) == load_settings(None)


@pytest.mark.parametrize(
    ("api_url", "file_url"),
    [
        ("http://127.0.0.1:8081/bot", "http://127.0.0.1:8081/file/bot"),
        ("http://127.0.0.1:8081/bot/", "http://127.0.0.1:8081/file/bot"),
        ("https://api.telegram.org/bot", "https://api.telegram.org/file/bot"),
        ("https://tg.example.org/proxy/bot", "https://tg.example.org/proxy/file/bot"),
    ],
)
def test_base_file_url(
    no_settings_env: Path, monkeypatch: pytest.MonkeyPatch, api_url: str, file_url: str
) -> None:
    monkeypatch.setenv("TELEGRAM_API_URL", api_url)
    assert load_settings(None).base_file_url == file_url


def test_env_file_is_read(no_settings_env: Path, tmp_path: Path) -> None:
    env_file = tmp_path / "custom.env"
    env_file.write_text(
        "# a comment\n"
        "ADMIN_IDS=5, 6\n"
        "DEFAULT_LANGUAGE=EN\n"
        "TIMEZONE=Asia/Bangkok\n"
        f"DATABASE_PATH={tmp_path / 'from-env-file.sqlite3'}\n"
        "TELEGRAM_API_URL=http://127.0.0.1:8081/bot\n"
        "log_level=debug\n",
        encoding="utf-8",
    )
    settings = load_settings(env_file)
    assert settings.admin_ids == frozenset({5, 6})
    assert settings.default_language == "en"
    assert settings.timezone == "Asia/Bangkok"
    assert settings.database_path == tmp_path / "from-env-file.sqlite3"
    assert settings.base_file_url == "http://127.0.0.1:8081/file/bot"
    assert settings.log_level == "DEBUG"


def test_environment_beats_env_file(
    no_settings_env: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    env_file = tmp_path / "custom.env"
    env_file.write_text("DEFAULT_LANGUAGE=en\n", encoding="utf-8")
    monkeypatch.setenv("DEFAULT_LANGUAGE", "vi")
    assert load_settings(env_file).default_language == "vi"


def test_bad_value_raises_config_error(no_settings_env: Path) -> None:
    with pytest.raises(ConfigError) as info:
        load_settings(None, timezone="Mars/Olympus")
    message = str(info.value)
    assert "TIMEZONE" in message
    assert "\n" not in message


def test_token_is_never_shown(no_settings_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    token = "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw"
    secret = "webhook-secret_XYZ"
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", f"  {token} ")
    monkeypatch.setenv("WEBHOOK_SECRET", secret)
    settings = load_settings(None)
    assert settings.token == token
    for shown in (repr(settings), str(settings), settings.model_dump_json()):
        assert token not in shown
        assert "AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw" not in shown
        assert secret not in shown


def test_bad_token_is_not_echoed(no_settings_env: Path) -> None:
    token = "123456:short"  # too short a secret part
    with pytest.raises(ConfigError) as info:
        load_settings(None, telegram_bot_token=token)
    assert "short" not in str(info.value)
    assert "TELEGRAM_BOT_TOKEN" in str(info.value)


# --- the command ---------------------------------------------------------------------------


def test_version(tmp_path: Path) -> None:
    result = run_cli(tmp_path, "--version")
    assert result.returncode == 0
    assert result.stdout.strip() == f"thidua-bot {__version__}"
    assert __version__ == "0.1.0"


def test_db_migrate_fresh_and_again(tmp_path: Path) -> None:
    database = tmp_path / "nested" / "dir" / "bot.sqlite3"
    first = run_cli(tmp_path, "db", "migrate", DATABASE_PATH=str(database))
    assert first.returncode == 0, first.stderr
    assert database.exists()
    assert f"schema version {latest_version()}" in first.stdout
    assert str(database) in first.stdout
    second = run_cli(tmp_path, "db", "migrate", DATABASE_PATH=str(database))
    assert second.returncode == 0, second.stderr
    assert f"schema version {latest_version()}" in second.stdout
    with sqlite3.connect(database) as conn:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == latest_version()
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert "Traceback" not in first.stderr + second.stderr


def test_db_migrate_relative_path_uses_cwd(tmp_path: Path) -> None:
    result = run_cli(tmp_path, "db", "migrate")
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "data" / "thidua.sqlite3").exists()


def _tables(path: Path) -> set[str]:
    with sqlite3.connect(path) as conn:
        rows = conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'").fetchall()
    return {row[0] for row in rows}


class Writer:
    """Inserts rows into ``scratch`` in a loop, one transaction each, until stopped."""

    def __init__(self, path: Path) -> None:
        self.conn = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        assert self.conn.execute("PRAGMA journal_mode = WAL").fetchone()[0] == "wal"
        self.conn.execute("PRAGMA busy_timeout = 10000")
        self.conn.execute("CREATE TABLE scratch (id INTEGER PRIMARY KEY, payload TEXT NOT NULL)")
        self.stop = threading.Event()
        self.started = threading.Event()
        self.rows = 0
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        try:
            while not self.stop.is_set():
                self.conn.execute("BEGIN IMMEDIATE")
                self.conn.execute("INSERT INTO scratch (payload) VALUES (?)", ("x" * 200,))
                self.conn.execute("COMMIT")
                self.rows += 1
                if self.rows >= 20:
                    self.started.set()
        except BaseException as exc:  # reported by the test
            self.error = exc
            self.started.set()

    def __enter__(self) -> Writer:
        self.thread.start()
        assert self.started.wait(10)
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        self.thread.join(10)
        self.conn.close()


@pytest.fixture
def migrated(tmp_path: Path) -> Iterator[Path]:
    database = tmp_path / "live.sqlite3"
    result = run_cli(tmp_path, "db", "migrate", DATABASE_PATH=str(database))
    assert result.returncode == 0, result.stderr
    yield database


def test_db_backup_while_writing(tmp_path: Path, migrated: Path) -> None:
    target = tmp_path / "backups" / "copy.sqlite3"
    with Writer(migrated) as writer:
        result = run_cli(tmp_path, "db", "backup", str(target), DATABASE_PATH=str(migrated))
        rows_during = writer.rows
    assert writer.error is None, writer.error
    assert rows_during > 20  # the writer really was writing during the backup
    assert result.returncode == 0, result.stderr
    assert str(target) in result.stdout
    assert "Traceback" not in result.stderr
    with sqlite3.connect(f"file:{target}?mode=ro", uri=True) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert conn.execute("PRAGMA user_version").fetchone()[0] == latest_version()
        count, top = conn.execute("SELECT count(*), max(id) FROM scratch").fetchone()
    assert count >= 20
    assert count == top  # a consistent snapshot: rows 1..n, no gaps
    assert {"users", "scratch"} <= _tables(target)
    assert _tables(migrated) == _tables(target)


def test_db_backup_missing_database(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere.sqlite3"
    target = tmp_path / "copy.sqlite3"
    result = run_cli(tmp_path, "db", "backup", str(target), DATABASE_PATH=str(missing))
    assert result.returncode != 0
    assert str(missing) in result.stderr
    assert len(result.stderr.splitlines()) == 1
    assert "Traceback" not in result.stderr
    assert not missing.exists()
    assert not target.exists()


def test_db_backup_needs_a_path(tmp_path: Path) -> None:
    result = run_cli(tmp_path, "db", "backup")
    assert result.returncode == 2  # argparse usage error
    assert "path" in result.stderr


def test_db_backup_of_a_file_that_is_not_a_database(tmp_path: Path) -> None:
    junk = tmp_path / "junk.sqlite3"
    junk.write_text("not a database\n", encoding="utf-8")
    result = run_cli(tmp_path, "db", "backup", str(tmp_path / "copy"), DATABASE_PATH=str(junk))
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    assert len(result.stderr.splitlines()) == 1


def test_db_backup_onto_the_database_itself(migrated: Path) -> None:
    result = run_cli(migrated.parent, "db", "backup", str(migrated), DATABASE_PATH=str(migrated))
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
