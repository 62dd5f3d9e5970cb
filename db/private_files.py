"""Folders and files only their owner may read: the embedded database holds PIN hashes and shops' names and
phone numbers, and a draft mirror holds what a shop is ordering. A 4-digit PIN's hash copied from a 0644 file
falls to a brute force in seconds, so these are made 0700 / 0600 when they are created, whatever the umask."""

from __future__ import annotations

import os
from pathlib import Path

DIR_MODE = 0o700
FILE_MODE = 0o600


def private_dir(path: Path) -> Path:
    """Create `path` if needed; every folder created here (the missing parents too) is 0700.

    A folder that already exists is left as its owner set it: tightening it behind their back could break a
    shared setup they chose, and `telesales doctor` tells them when it is too open."""
    missing: list[Path] = []
    current = path
    while not current.is_dir():
        missing.append(current)
        if current.parent == current:
            break
        current = current.parent
    for folder in reversed(missing):
        try:
            folder.mkdir(mode=DIR_MODE)
        except FileExistsError:
            continue  # another process made it first, with its own choice of mode
        os.chmod(folder, DIR_MODE)  # mkdir's mode is filtered by the umask; chmod is not
    return path


def create_private_file(path: Path) -> bool:
    """Create `path` empty with mode 0600 unless it exists; True when it was created here. An empty file is a
    valid empty SQLite database, so SQLite opens it instead of creating its own 0644 one."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
    except FileExistsError:
        return False
    try:
        os.fchmod(fd, FILE_MODE)
    finally:
        os.close(fd)
    return True
