"""The files that make up a knowledge base, how they are read, and its version: a hash of the bytes parsed.

Knowledge files are edited by people and may be pasted from anywhere, so they are read defensively:
regular files only, at most KNOWLEDGE_FILE_LIMIT bytes each, UTF-8, no YAML anchors or aliases (an
alias "bomb" of a few lines expands to gigabytes), at most KNOWLEDGE_MAX_DEPTH levels of nesting, and
at most KNOWLEDGE_PARSE_SECONDS of parsing per file (a file without anchors parses in time linear in its
size, so only files that contain '&' or '*' are looked at event by event). Each file is read once: the
bytes that are hashed into the version are the bytes that are parsed.
"""

from __future__ import annotations

import hashlib
import os
import stat
import time
from pathlib import Path

import yaml

from bot.config import KNOWLEDGE_FILE_LIMIT, KNOWLEDGE_MAX_DEPTH, KNOWLEDGE_PARSE_SECONDS

try:  # the C parser is ~10x faster; fall back where libyaml is missing
    from yaml import CSafeLoader as SafeLoader
except ImportError:  # pragma: no cover
    from yaml import SafeLoader

_OPEN = (yaml.MappingStartEvent, yaml.SequenceStartEvent)
_CLOSE = (yaml.MappingEndEvent, yaml.SequenceEndEvent)


class UnsafeYaml(Exception):
    """A knowledge file that is not read: too large, not a file, not UTF-8, or using anchors and aliases"""

    def __init__(self, message: str, line: int | None = None):
        super().__init__(message)
        self.message = message
        self.line = line


SUBFOLDERS = ("services", "events", "offices", "catalogue", "questions")


def knowledge_files(directory: Path) -> list[Path]:
    """Every YAML file that makes up a knowledge base, in a stable order."""
    return sorted(directory.glob("*.yaml")) + [path for folder in SUBFOLDERS
                                               for path in sorted((directory / folder).glob("*.yaml"))]


def content_version(directory: Path, read: dict[str, bytes] | None = None) -> str:
    """A short hash of every knowledge file's relative path and bytes: the knowledge-base version recorded with
    answers. Files in `read` (relative path -> the bytes a check parsed) count as read then; the others as they
    are now (the watcher compares this with the version being served)."""
    digest = hashlib.sha256()
    for path in knowledge_files(directory):
        relative = path.relative_to(directory).as_posix()
        if read and relative in read:
            data = read[relative]
        else:
            try:
                data = read_limited(path)
            except (UnsafeYaml, OSError) as exc:
                data = str(exc).encode()
        digest.update(relative.encode())
        digest.update(b"\0")
        digest.update(data)
        digest.update(b"\0")
    return digest.hexdigest()[:12]


def read_limited(path: Path, limit: int = KNOWLEDGE_FILE_LIMIT) -> bytes:
    """The bytes of a regular file of at most `limit` bytes."""
    if not stat.S_ISREG(os.stat(path).st_mode):
        raise UnsafeYaml("it is not a regular file; knowledge files must be plain YAML files.")
    with open(path, "rb") as file:
        data = file.read(limit + 1)
    if len(data) > limit:
        raise UnsafeYaml(f"the file is larger than {limit // 1024} KiB, the limit for one knowledge file; "
                         "shorten it or split it (one service per file).")
    return data


def decode(data: bytes) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise UnsafeYaml(f"the file is not UTF-8 text (byte {exc.start}); save it as UTF-8.") from None


def safe_compose(text: str, seconds: float = KNOWLEDGE_PARSE_SECONDS):
    """The YAML node tree of one document, refusing anchors and aliases, deep nesting and slow parsing."""
    if "&" in text or "*" in text:  # anchors and aliases need these characters: look at every event first
        _check_events(text, seconds)
        return yaml.compose(text, Loader=SafeLoader)
    node = yaml.compose(text, Loader=SafeLoader)  # no anchor, so a tree no larger than the text
    _check_depth(node)
    return node


def _check_events(text: str, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    depth = 0
    for count, event in enumerate(yaml.parse(text, Loader=SafeLoader)):
        line = event.start_mark.line + 1 if event.start_mark else None
        if isinstance(event, yaml.AliasEvent):
            raise UnsafeYaml(f"the file uses the YAML alias *{event.anchor}; knowledge files may not use anchors "
                             "and aliases (they can expand without limit). Write the value out in full.", line)
        if getattr(event, "anchor", None):
            raise UnsafeYaml(f"the file defines the YAML anchor &{event.anchor}; knowledge files may not use anchors "
                             "and aliases (they can expand without limit). Remove it and write values out in full.",
                             line)
        if isinstance(event, _OPEN):
            depth += 1
            if depth > KNOWLEDGE_MAX_DEPTH:
                raise _too_deep(line)
        elif isinstance(event, _CLOSE):
            depth -= 1
        if count % 1024 == 0 and time.monotonic() > deadline:
            raise UnsafeYaml(f"reading the file took longer than {seconds:g} s; it is too large or too complex.",
                             line)


def _check_depth(node) -> None:
    stack = [(node, 0)] if node is not None else []
    while stack:
        node, depth = stack.pop()
        if isinstance(node, yaml.MappingNode):
            children = [value for _, value in node.value]
        elif isinstance(node, yaml.SequenceNode):
            children = node.value
        else:
            continue
        if depth + 1 > KNOWLEDGE_MAX_DEPTH:
            raise _too_deep(node.start_mark.line + 1)
        stack.extend((child, depth + 1) for child in children)


def _too_deep(line: int | None) -> UnsafeYaml:
    return UnsafeYaml(f"the file nests lists and mappings more than {KNOWLEDGE_MAX_DEPTH} levels deep; check the "
                      "indentation.", line)


def construct(node):
    """The Python data of a node tree from safe_compose (plain types only)."""
    if node is None:
        return None
    loader = SafeLoader("")
    try:
        return loader.construct_document(node)
    except (ValueError, OverflowError, RecursionError) as exc:
        line = node.start_mark.line + 1 if node.start_mark else None
        raise UnsafeYaml(f"a value in the file cannot be read ({exc}); shorten or correct it.", line) from None
    finally:
        loader.dispose()
