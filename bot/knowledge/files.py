"""The files that make up a knowledge base, and its version: a hash of their bytes."""

from __future__ import annotations

import hashlib
from pathlib import Path

SUBFOLDERS = ("services", "events", "offices", "catalogue")


def knowledge_files(directory: Path) -> list[Path]:
    """Every YAML file that makes up a knowledge base, in a stable order."""
    return sorted(directory.glob("*.yaml")) + [path for folder in SUBFOLDERS
                                               for path in sorted((directory / folder).glob("*.yaml"))]


def content_version(directory: Path) -> str:
    """A short content hash of every knowledge file: the knowledge-base version recorded with answers."""
    digest = hashlib.sha256()
    for path in knowledge_files(directory):
        digest.update(path.relative_to(directory).as_posix().encode())
        digest.update(b"\0")
        digest.update(path.read_bytes())
        digest.update(b"\0")
    return digest.hexdigest()[:12]
