"""The backup file: one tar holding manifest.json, the database dump and attachments/<stored name>.

Only these names are read back, each as a regular file: a tar's own paths (``../``, links) never reach the disk.
"""

import hashlib
import io
import json
import re
import tarfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

from engine.backup.refusal import Refused

FORMAT, FORMAT_VERSION = "keydesk-backup", 1
MANIFEST = "manifest.json"
ATTACHMENTS = "attachments/"
STORED_NAME = re.compile(r"[0-9a-f]{32}")  # engine.attachments names files secrets.token_hex(16)


def attachment_files(folder: Path) -> list[Path]:
    if not folder.is_dir():
        return []
    return sorted(f for f in folder.iterdir() if f.is_file() and STORED_NAME.fullmatch(f.name))


def write(target: Path, manifest: dict, dump: Path, member: str, attachments: list[Path]) -> None:
    """Write the archive under a temporary name and rename it at the end: a file named FILE is a whole backup."""
    partial = target.with_name(target.name + ".partial")
    with tarfile.open(partial, "w") as tar:
        body = json.dumps(manifest, indent=2).encode()
        info = tarfile.TarInfo(MANIFEST)
        info.size = len(body)
        tar.addfile(info, io.BytesIO(body))
        tar.add(dump, arcname=member)
        for file in attachments:
            tar.add(file, arcname=ATTACHMENTS + file.name)
    partial.rename(target)


@contextmanager
def opened(source: Path) -> Iterator[tuple[tarfile.TarFile, dict]]:
    """The archive and its manifest; refuses a file that is not a KeyDesk backup of a format this code reads."""
    try:
        tar = tarfile.open(source, "r:*")  # noqa: SIM115 (closed by the with below, errors only from opening)
    except (OSError, tarfile.TarError) as err:
        raise Refused(f"{source} is not a KeyDesk backup ({err})", f"{source} 不是 KeyDesk 备份文件（{err}）") from err
    with tar:
        yield tar, _manifest(tar, source)


def _manifest(tar: tarfile.TarFile, source: Path) -> dict:
    try:
        manifest = json.loads(_read(tar, MANIFEST).read())
    except (tarfile.TarError, KeyError, ValueError) as err:
        raise Refused(f"{source} is not a KeyDesk backup ({err})", f"{source} 不是 KeyDesk 备份文件（{err}）") from err
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise Refused(f"{source} is not a KeyDesk backup (its manifest names no format {FORMAT!r})",
                      f"{source} 不是 KeyDesk 备份文件（清单中没有格式 {FORMAT!r}）")
    if manifest.get("format_version") != FORMAT_VERSION:
        raise Refused(f"{source} has backup format {manifest.get('format_version')!r}; this KeyDesk reads format "
                      f"{FORMAT_VERSION}", f"{source} 的备份格式为 {manifest.get('format_version')!r}，"
                                           f"此版本 KeyDesk 只能读取格式 {FORMAT_VERSION}")
    return manifest


def extract(tar: tarfile.TarFile, member: str, target: Path) -> None:
    with _read(tar, member) as src, target.open("wb") as dst:
        while chunk := src.read(1 << 20):
            dst.write(chunk)


def attachments(tar: tarfile.TarFile) -> Iterator[tuple[str, tarfile.TarInfo]]:
    """(stored name, member) of each attachment file in the archive."""
    for info in tar.getmembers():
        name = info.name.removeprefix(ATTACHMENTS)
        if info.name.startswith(ATTACHMENTS) and info.isfile() and STORED_NAME.fullmatch(name):
            yield name, info


def digest(stream: IO[bytes]) -> str:
    sha = hashlib.sha256()
    while chunk := stream.read(1 << 20):
        sha.update(chunk)
    return sha.hexdigest()


def _read(tar: tarfile.TarFile, member: str) -> IO[bytes]:
    info = tar.getmember(member)
    if not info.isfile():
        raise KeyError(f"{member} is not a regular file")
    return tar.extractfile(info)
