"""Every sentence the assistant says, in Chinese and English, from messages.yaml."""

from __future__ import annotations

import re
from functools import cache
from importlib import resources

import yaml


@cache
def _catalogue() -> dict[str, dict[str, str]]:
    return yaml.safe_load(resources.files("bot.answering").joinpath("messages.yaml").read_text(encoding="utf-8"))


# "{n|copy|copies}": the singular when the value it names is 1, else the plural.
PLURAL = re.compile(r"\{(\w+)\|([^{}|]*)\|([^{}|]*)\}")


def message(key: str, language: str, **values) -> str:
    """A sentence from bot/answering/messages.yaml in the given language, with placeholders filled."""
    entry = _catalogue()[key]
    template = entry.get(language) or entry["zh"]
    template = PLURAL.sub(lambda m: m.group(2) if values.get(m.group(1)) == 1 else m.group(3), template)
    return template.format(**values)
