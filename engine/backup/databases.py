"""The database half of a backup: pg_dump/pg_restore (custom format) on PostgreSQL, SQLite's online backup API
on SQLite. Both copy a consistent snapshot while the product keeps running."""

import os
import shutil
import sqlite3
import subprocess
from pathlib import Path

from sqlalchemy import Engine, inspect, text

from engine.backup.refusal import Refused

MEMBERS = {"postgresql": "database.pgdump", "sqlite": "database.sqlite3"}


def kind(engine: Engine) -> str:
    name = engine.dialect.name
    if name not in MEMBERS or (name == "sqlite" and not _sqlite_file(engine)):
        raise Refused(f"backup and restore work on PostgreSQL and on an SQLite file, not on {engine.url.drivername}",
                      f"备份与恢复只支持 PostgreSQL 和 SQLite 文件数据库，不支持 {engine.url.drivername}")
    return name


def revision(engine: Engine) -> str | None:
    """The database's Alembic revision, None when it has no schema history."""
    if not inspect(engine).has_table("alembic_version"):
        return None
    with engine.connect() as conn:
        return conn.scalar(text("SELECT version_num FROM alembic_version"))


def tables(engine: Engine) -> list[str]:
    return inspect(engine).get_table_names()


def dump(engine: Engine, target: Path) -> None:
    if kind(engine) == "sqlite":
        _sqlite_copy(Path(_sqlite_file(engine)), target)
    else:
        _run("pg_dump", ["--format=custom", "--no-owner", "--no-privileges", f"--file={target}"], engine)


def load(engine: Engine, source: Path) -> None:
    """Load a dump into the (empty) database of `engine`, all or nothing."""
    engine.dispose()
    if kind(engine) == "sqlite":
        _sqlite_copy(source, Path(_sqlite_file(engine)))
    else:
        _run("pg_restore", ["--no-owner", "--no-privileges", "--exit-on-error", "--single-transaction",
                            str(source)], engine)


def _sqlite_file(engine: Engine) -> str | None:
    path = engine.url.database
    return path if path and path != ":memory:" and not path.startswith("file::memory:") else None


def _sqlite_copy(source: Path, target: Path) -> None:
    """Page by page through SQLite's backup API: a consistent copy even while a writer works (WAL)."""
    src = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
    dst = sqlite3.connect(target)
    try:
        with dst:
            src.backup(dst)
    finally:
        src.close()
        dst.close()


def _run(program: str, arguments: list[str], engine: Engine) -> None:
    """Run a PostgreSQL client program against the engine's database; the password goes in the environment,
    never on the command line (where `ps` shows it)."""
    if shutil.which(program) is None:
        raise Refused(f"{program} is not installed: install the PostgreSQL client programs (postgresql-client) "
                      f"of the server's major version or newer",
                      f"未安装 {program}：请安装与服务器主版本相同或更新的 PostgreSQL 客户端程序（postgresql-client）")
    url = engine.url
    env = dict(os.environ, **({"PGPASSWORD": url.password} if url.password else {}))
    conninfo = url.set(drivername="postgresql", password=None).render_as_string(hide_password=False)
    done = subprocess.run([program, *arguments, f"--dbname={conninfo}"], env=env, capture_output=True, text=True)
    if done.returncode != 0:
        detail = done.stderr.strip()[-2000:]
        raise Refused(f"{program} failed (exit {done.returncode}): {detail}",
                      f"{program} 执行失败（退出码 {done.returncode}）：{detail}")
