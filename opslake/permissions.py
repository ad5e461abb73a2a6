"""Owner-only files: what opslake keeps under its home and lake (raw emails, keys) is readable by its owner only.

Data is written by many libraries (delta-rs, DuckDB, dbt, Dagster, pyarrow), and none takes a file mode, so the
process umask is the one setting they all obey; each entry point calls ``restrict_files`` first, and the
processes it starts inherit the umask.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

from opslake.settings import Settings

UMASK = 0o077  # no bits for group and others: folders 0700, files 0600
FOLDER_MODE = 0o777 & ~UMASK
FILE_MODE = 0o666 & ~UMASK


def restrict_files(settings: Settings) -> None:
    """Create everything owner-only from now on, and close a home (or local lake root) made before this rule.

    Closing the home folder itself (0700) is enough for one made world-readable: other accounts can no longer
    reach anything below it, so its files need not be changed one by one. The same holds for a lake root that is
    a local folder outside the home.
    """
    os.umask(UMASK)
    for folder in (settings.home, settings.lake_folder):
        if folder is not None and folder.is_dir() and folder.stat().st_mode & UMASK:
            folder.chmod(FOLDER_MODE)


def owner_only(path: Path) -> None:
    """Give a file moved in from outside the mode of a file created here (a move keeps the source's mode)."""
    path.chmod(FILE_MODE)


def refuse_if_open(path: Path) -> None:
    """Raise ``PermissionError`` when accounts other than the owner can read the secret at ``path``."""
    mode = path.stat().st_mode & 0o777
    if mode & UMASK:
        raise PermissionError(f"{path} is readable by others (mode {mode:o}); run `chmod 600 {path}`")


def owner_only_secret(path: Path, create: Callable[[], bytes]) -> bytes:
    """An installation secret (a key), created on first use owner-only (0600) and refused once others can read
    it: a key another account could copy no longer proves anything."""
    if path.exists():
        refuse_if_open(path)
        return path.read_bytes()
    path.parent.mkdir(parents=True, exist_ok=True, mode=FOLDER_MODE)
    secret = create()
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
    with os.fdopen(fd, "wb") as f:
        f.write(secret)
    return secret
