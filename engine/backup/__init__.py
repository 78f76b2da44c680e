"""Backup and restore of a whole installation: the database and the attachment files, in one archive.

`backup` takes the database first (pg_dump's snapshot, or SQLite's backup API), then the attachment files. A
file is written before its attachment row commits (engine.attachments), so every row in the dump has its file;
a file added in between is an extra, harmless.

`restore` refuses rather than destroys (customer data and ticket history are never deleted, 000 §二.2.2.1): it loads
only into a database with no tables (a new one, or the SQLite file moved aside), only an archive of this code's
schema revision, and never writes over an attachment file with other bytes. So there is no ``--force``.
"""

import tempfile
from pathlib import Path

from alembic.script import ScriptDirectory
from sqlalchemy import func, select

from engine import attachments, clock
from engine.backup import archive, databases
from engine.backup.refusal import Refused
from engine.db import db
from engine.models import Ticket

MIGRATIONS = Path(__file__).resolve().parents[1] / "migrations"


def code_revision() -> str:
    """The Alembic head of this code: the schema a restored database must have."""
    return ScriptDirectory(str(MIGRATIONS)).get_current_head()


def backup(target: Path) -> dict:
    """Write the archive to `target` (never over an existing file); returns its manifest."""
    engine = db.engine
    kind = databases.kind(engine)
    revision = databases.revision(engine)
    if revision is None:
        raise Refused("the database has no schema revision (no alembic_version table): run `python run.py init-db`",
                      "数据库没有架构版本（缺少 alembic_version 表）：请先运行 `python run.py init-db`")
    if target.exists():
        raise Refused(f"{target} exists already: name a new file", f"{target} 已存在：请指定一个新文件")
    if not target.parent.is_dir():
        raise Refused(f"there is no folder {target.parent} to write {target.name} into",
                      f"文件夹 {target.parent} 不存在，无法写入 {target.name}")
    with tempfile.TemporaryDirectory(dir=target.parent, prefix=".keydesk-backup-") as work:
        dump = Path(work) / databases.MEMBERS[kind]
        databases.dump(engine, dump)
        files = archive.attachment_files(attachments.storage())
        manifest = {"format": archive.FORMAT, "format_version": archive.FORMAT_VERSION, "database": kind,
                    "revision": revision, "created_at": clock.now().isoformat(), "attachments": len(files)}
        archive.write(target, manifest, dump, databases.MEMBERS[kind], files)
    return manifest


def restore(source: Path) -> dict:
    """Load the archive into this installation's empty database and attachment folder; returns what it found."""
    engine = db.engine
    kind = databases.kind(engine)
    with archive.opened(source) as (tar, manifest):
        _check_fits(manifest, kind)
        _check_empty(engine)
        folder = attachments.storage()
        files = list(archive.attachments(tar))
        _check_no_clash(tar, files, folder)
        with tempfile.TemporaryDirectory(prefix=".keydesk-restore-") as work:
            dump = Path(work) / databases.MEMBERS[kind]
            archive.extract(tar, databases.MEMBERS[kind], dump)
            databases.load(engine, dump)
        for name, info in files:
            if not (folder / name).exists():
                archive.extract(tar, info.name, folder / name)
    return {"tickets": db.session.scalar(select(func.count()).select_from(Ticket)), "attachments": len(files),
            "missing": _missing_files()}


def _check_fits(manifest: dict, kind: str) -> None:
    if manifest.get("database") != kind:
        raise Refused(f"this backup is of a {manifest.get('database')} database, the target is {kind}: restore "
                      f"it into a {manifest.get('database')} database", f"此备份来自 {manifest.get('database')} "
                      f"数据库，目标是 {kind}：请恢复到 {manifest.get('database')} 数据库")
    if manifest.get("revision") != code_revision():
        raise Refused(f"the backup has schema revision {manifest.get('revision')!r}, this KeyDesk has "
                      f"{code_revision()!r}: restore it with the KeyDesk release that made it, then run "
                      f"`python run.py init-db` with this one to upgrade",
                      f"备份的架构版本为 {manifest.get('revision')!r}，此 KeyDesk 为 {code_revision()!r}："
                      f"请用生成该备份的 KeyDesk 版本恢复，再用本版本运行 `python run.py init-db` 升级")


def _check_empty(engine) -> None:
    found = databases.tables(engine)
    if found:
        raise Refused(f"the target database is not empty ({len(found)} tables, e.g. {', '.join(sorted(found)[:3])}):"
                      " restore only goes into a new, empty database, so that nothing is overwritten; create one "
                      "(createdb, or move the SQLite file aside) and point DATABASE_URL at it",
                      f"目标数据库不是空的（{len(found)} 张表，如 {', '.join(sorted(found)[:3])}）：为避免覆盖数据，"
                      "只能恢复到新建的空数据库；请新建一个（createdb，或移走 SQLite 文件）并将 DATABASE_URL 指向它")


def _check_no_clash(tar, files: list, folder: Path) -> None:
    """An attachment file already there must have the same bytes as the archive's: none is overwritten."""
    for name, info in files:
        existing = folder / name
        if existing.exists():
            with existing.open("rb") as mine, tar.extractfile(info) as theirs:
                if archive.digest(mine) != archive.digest(theirs):
                    raise Refused(f"attachment file {existing} exists with other content: move it aside first",
                                  f"附件文件 {existing} 已存在且内容不同：请先将其移走")


def _missing_files() -> list[str]:
    """Attachment rows of the restored database whose file is not in the folder (none for a whole backup)."""
    rows = db.session.scalars(select(attachments.Attachment)).all()
    return [row.stored_name for row in rows if not attachments.path_of(row).exists()]
