"""Files the commands write: the whole file or nothing, never half of one.

Every command that writes a file writes it here: into a temporary file in the
same folder, flushed to disk, then renamed over the target in one step
(``os.replace``). If anything fails on the way (a full disk, an error while the
content is made) the temporary file is removed and a file already at the target
is left exactly as it was. The file is readable by its owner only, as it may hold
group links or named answers.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO

from ..errors import InputError


@contextlib.contextmanager
def atomic_output(path: Path, option: str = "-o") -> Iterator[IO[bytes]]:
    """A binary file to write; on leaving the block it replaces ``path`` whole, or not at all."""
    folder = check_folder(path, option)
    try:
        handle, temp = tempfile.mkstemp(dir=folder, prefix=f".{path.name}.", suffix=".part")
    except OSError as error:
        raise InputError(f"{path}: cannot be written ({error.strerror})") from None
    try:
        with os.fdopen(handle, "wb") as out:
            yield out
            out.flush()
            os.fsync(out.fileno())
        os.replace(temp, path)
    except BaseException as error:
        Path(temp).unlink(missing_ok=True)
        if isinstance(error, OSError):
            raise InputError(f"{path}: cannot be written ({error.strerror})") from None
        raise
    _sync_folder(folder)


def check_folder(path: Path, option: str = "-o") -> Path:
    """The folder ``path`` goes in; InputError naming the option if it does not exist.

    For a command that writes to the database before its file: it asks first.
    """
    if not path.parent.is_dir():
        raise InputError(f"{option}: the folder '{path.parent}' does not exist")
    return path.parent


def write_file(path: Path, data: bytes | str, option: str = "-o") -> None:
    """Write bytes (or text, as UTF-8) to ``path``: the whole file or nothing."""
    with atomic_output(path, option) as out:
        out.write(data.encode("utf-8") if isinstance(data, str) else data)


def _sync_folder(folder: Path) -> None:
    """Make the rename itself durable (where the system lets a folder be opened)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
