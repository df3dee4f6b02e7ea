"""Checks of a knowledge-base directory that an admin can act on.

Two layers, as in Rasa's validator: a JSON Schema check per file that reports file:line, then
cross-reference checks across files. Every problem is a sentence naming the file, the line, the
entry and the fix, and all problems are reported at once.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import re
import unicodedata
from dataclasses import asdict, dataclass, field
from functools import cache
from pathlib import Path

import fastjsonschema
import yaml

from bot.knowledge.calendar import CALENDAR_FILE, calendar_problems
from bot.knowledge.files import UnsafeYaml, construct, content_version, decode, read_limited, safe_compose
from bot.knowledge.model import MATTER_PREFIX

ERROR, WARNING = "error", "warning"
PHONE = re.compile(r"^(?:\d{3,4}-\d{7,8}(?:-\d{1,6})?|\d{3,5}|1\d{10}|400-?\d{3}-?\d{4})$")


@dataclass(frozen=True)
class Problem:
    severity: str
    file: str
    line: int | None
    entry: str | None
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        prefix = "warning: " if self.severity == WARNING else ""
        return f"{where}: {prefix}{self.message}"

    def as_dict(self) -> dict:
        return asdict(self)


@dataclass
class RawKnowledge:
    offices: list[dict] = field(default_factory=list)
    categories: list[dict] = field(default_factory=list)
    services: list[tuple[Path, dict]] = field(default_factory=list)
    events: list[tuple[Path, dict]] = field(default_factory=list)
    districts: list[dict] = field(default_factory=list)
    local_offices: list[tuple[str, dict]] = field(default_factory=list)  # (district id, office)
    matters: list[tuple[Path, dict]] = field(default_factory=list)
    questions: list[tuple[Path, dict]] = field(default_factory=list)  # labelled questions
    families: list[dict] = field(default_factory=list)
    documents: list[dict] = field(default_factory=list)
    calendar: dict | None = None  # calendar.yaml, when present and without errors


@dataclass
class Checked:
    raw: RawKnowledge
    problems: list[Problem]
    version: str

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == ERROR]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == WARNING]


@cache
def _schema_validator(schema_path: Path):
    import jsonschema  # only needed to explain a file that failed the fast check

    return jsonschema.Draft202012Validator(json.loads(schema_path.read_text(encoding="utf-8")))


@cache
def _fast_check(schema_path: Path):
    """A compiled validator: about ten times faster on valid files, which is nearly all of them.
    It stops at the first error, so a failing file is checked again by jsonschema for all of them."""
    return fastjsonschema.compile(json.loads(schema_path.read_text(encoding="utf-8")))


class SourceFile:
    """One YAML file, read once and safely (see bot.knowledge.files), with its data and, on demand, the line
    of every value in it. `data` is the bytes read (None when the file could not be read)."""

    def __init__(self, path: Path, root: Path):
        self.path = path
        self.relative = path.relative_to(root).as_posix()
        self.name = (root.name + "/" + self.relative) if root.name else path.as_posix()
        self.data: bytes | None = None
        self.text = ""
        self._problem: UnsafeYaml | None = None
        self._node = None
        self._lines: dict[tuple, int] | None = None
        try:
            self.data = read_limited(path)
            self.text = decode(self.data)
        except UnsafeYaml as exc:
            self._problem = exc
        except OSError as exc:
            self._problem = UnsafeYaml(f"the file cannot be read ({exc.strerror}); check that it exists and is "
                                       "readable.")

    def load(self):
        """The file's data; raises UnsafeYaml (with the reason) or yaml.YAMLError (with the line)."""
        if self._problem is not None:
            raise self._problem
        self._node = safe_compose(self.text)
        return construct(self._node)

    def line(self, path: tuple) -> int | None:
        """The 1-based line of the value at a data path, or of its closest existing parent."""
        if self._lines is None:
            self._lines = {}
            with contextlib.suppress(UnsafeYaml, yaml.YAMLError):  # no lines to give for an unreadable file
                self._index(self._node if self._node is not None else safe_compose(self.text), ())
        while path not in self._lines and path:
            path = path[:-1]
        return self._lines.get(path)

    def _index(self, node, path: tuple) -> None:
        if node is None:
            return
        self._lines.setdefault(path, node.start_mark.line + 1)
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                self._lines[path + (key.value,)] = key.start_mark.line + 1
                self._index(value, path + (key.value,))
        elif isinstance(node, yaml.SequenceNode):
            for i, item in enumerate(node.value):
                self._index(item, path + (i,))


_ITEM_NAMES = {
    "documents": "document",
    "steps": "step",
    "fees": "fee",
    "aliases": "alias",
    "examples": "example question",
    "legal_basis": "legal basis",
    "reasons": "refusal reason",
    "offices": "office",
    "categories": "category",
    "changes": "time-limit change",
}


def describe(path) -> str:
    """A data path as words: ('documents', 2, 'name') -> "document 3's 'name'"."""
    words, parent = [], None
    for part in path:
        if isinstance(part, int):
            words[-1:] = [f"{_ITEM_NAMES.get(parent, parent or 'item')} {part + 1}"]
        else:
            words.append(f"'{part}'")
        parent = part
    return " → ".join(words) if words else "the file"


def _schema_message(error) -> str:
    where = describe(error.absolute_path)
    if error.validator == "required":
        missing = re.search(r"'([^']+)' is a required property", error.message)
        name = missing.group(1) if missing else "a field"
        if name in ("zh", "name") and "document" in where:
            return f"{where} has no '{name}'; every document needs a name in Chinese (zh) and English (en)."
        if name == "document" and "document" in where:
            return (f"{where} has no 'document'; name the kind of document with its id in documents.yaml, "
                    "e.g. 'document: id_card', or a list of ids when any one of them will do.")
        return f"{where} has no '{name}'; add it (see the schema file for what it holds)."
    if error.validator == "additionalProperties":
        extra = re.findall(r"'([^']+)'", error.message.split("(")[-1])
        allowed = ", ".join(sorted(error.schema.get("properties", {})))
        return f"{where} has unknown field(s) {', '.join(extra)}; check the spelling. Allowed fields: {allowed}."
    if error.validator == "enum":
        choices = ", ".join(str(c) for c in error.validator_value)
        return f"{where} is {error.instance!r}, which is not allowed; use one of: {choices}."
    if error.validator == "type":
        kind = {"object": "a mapping (key: value lines)", "array": "a list (lines starting with '- ')",
                "string": "a text", "integer": "a whole number", "boolean": "true or false"}
        wanted = error.validator_value if isinstance(error.validator_value, str) else error.validator_value[0]
        return f"{where} should be {kind.get(wanted, wanted)}, not {type(error.instance).__name__} {error.instance!r}."
    if error.validator == "pattern":
        hint = {"^\\d{4}-\\d{2}-\\d{2}$": "a date written as YYYY-MM-DD",
                "^https?://[^\\s]+$": "a web address starting with https://",
                "^[a-z][a-z0-9_]*$": "an id of lowercase letters, digits and underscores"}
        if error.absolute_path and error.absolute_path[-1] == "phone":
            return (f"{where} is {error.instance!r}, which is not a phone number; "
                    "write it like 027-85395110, 12345 or 13800000000.")
        wanted = hint.get(error.validator_value, f"text matching {error.validator_value}")
        return f"{where} is {error.instance!r}; it should be {wanted}."
    if error.validator == "minItems":
        return f"{where} is empty; it needs at least {error.validator_value} item(s)."
    if error.validator == "minLength":
        return f"{where} is empty; write the text or remove the field."
    if error.validator == "minimum":
        return f"{where} is {error.instance}; it cannot be below {error.validator_value}."
    return f"{where}: {error.message}."


def _stringify_dates(value):
    # YAML turns 2026-01-01 into a date; the schema (and JSON editors) see it as a string.
    if isinstance(value, dict):
        return {str(k): _stringify_dates(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_stringify_dates(v) for v in value]
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()[:10]
    return value


class _Checker:
    def __init__(self, directory: Path, today: dt.date):
        self.directory = directory
        self.today = today
        self.problems: list[Problem] = []
        self.raw = RawKnowledge()
        self.invalid_lists: set[str] = set()  # offices.yaml / categories.yaml with schema errors
        self.read: dict[str, bytes] = {}  # relative path -> the bytes parsed (the version is their hash)

    def add(self, severity, source: SourceFile | None, path: tuple, entry, message):
        line = source.line(path) if source is not None and path is not None else None
        self.problems.append(Problem(severity, source.name if source else str(self.directory), line, entry, message))

    def parse(self, path: Path, schema_name: str, keep_invalid: bool = False):
        """Parse one file and check it against its schema; return its data (None when invalid,
        unless keep_invalid: offices and categories are still used to check references)."""
        source = SourceFile(path, self.directory)
        if source.data is not None:
            self.read[source.relative] = source.data
        try:
            data = source.load()
        except UnsafeYaml as exc:
            self.problems.append(Problem(ERROR, source.name, exc.line, None, exc.message))
            return None, source
        except yaml.MarkedYAMLError as exc:
            mark = exc.problem_mark or exc.context_mark
            line = mark.line + 1 if mark else None
            self.problems.append(Problem(ERROR, source.name, line, None,
                f"the file is not valid YAML ({exc.problem}); check the indentation and quoting near this line."))
            return None, source
        except yaml.YAMLError as exc:
            self.add(ERROR, None, (), None, f"{source.name} is not valid YAML: {exc}")
            return None, source
        if not isinstance(data, dict):
            self.problems.append(Problem(ERROR, source.name, 1, None,
                "the file is empty or not a mapping; it should start with 'key: value' lines."))
            return None, source
        data = _stringify_dates(data)
        entry = data.get("id") if isinstance(data.get("id"), str) else None
        try:
            _fast_check(self.directory / schema_name)(data)
            return data, source
        except fastjsonschema.JsonSchemaException:
            pass
        validator = _schema_validator(self.directory / schema_name)
        errors = sorted(validator.iter_errors(data), key=lambda e: list(map(str, e.absolute_path)))
        for error in errors:
            self.add(ERROR, source, tuple(error.absolute_path), entry, _schema_message(error))
        return (None if errors and not keep_invalid else data), source

    def run(self) -> Checked:
        if not self.directory.is_dir():
            self.problems.append(Problem(ERROR, str(self.directory), None, None,
                "the knowledge directory does not exist; pass the folder that holds offices.yaml and services/."))
            return Checked(self.raw, self.problems, "")
        for name in ("offices.yaml", "categories.yaml"):
            if not (self.directory / name).exists():
                self.problems.append(Problem(ERROR, f"{self.directory.name}/{name}", None, None,
                    f"{name} is missing; every knowledge base needs it."))
        offices, offices_src = self._parse_list("offices.yaml", "offices.schema.json", "offices")
        categories, _ = self._parse_list("categories.yaml", "categories.schema.json", "categories")
        self.raw.offices, self.raw.categories = offices, categories
        self._check_offices(offices, offices_src)
        self.raw.districts, _ = self._parse_list("districts.yaml", "districts.schema.json", "districts")
        self.matter_ids: set[str] = set()
        self.raw.documents, documents_src = self._parse_list("documents.yaml", "documents.schema.json", "documents")
        self.document_ids = {d["id"] for d in self.raw.documents}
        self.documents_used: set[str] = set()
        self._check_local_offices(offices)
        office_ids = {o["id"] for o in offices}
        category_ids = {c["id"] for c in categories}
        service_files = sorted((self.directory / "services").glob("*.yaml"))
        if not service_files:
            self.add(ERROR, None, None, None, "there are no service files in services/; add at least one <id>.yaml.")
        seen: dict[str, SourceFile] = {}
        alias_owner: dict[str, tuple[str, SourceFile]] = {}
        for path in service_files:
            data, source = self.parse(path, "service.schema.json")
            if data is None:
                continue
            self._check_service(data, source, office_ids, category_ids, seen, alias_owner)
            self.raw.services.append((path, data))
        # A service whose file has errors still exists: references to it are not errors of their own.
        service_ids = set(seen) | {path.stem for path in service_files}
        self._check_events(service_ids)
        self._check_catalogue(office_ids, service_ids, alias_owner)
        self._check_questions(service_ids)
        self._check_families(service_ids)
        self._check_district_coverage(offices, offices_src)
        for i, document in enumerate(self.raw.documents):
            if document["id"] not in self.documents_used:
                self.add(WARNING, documents_src, ("documents", i, "id"), document["id"],
                         f"the document '{document['id']}' is in documents.yaml but no service asks for it; remove it "
                         "or refer to it from the services that need it.")
        self.raw.calendar = self._check_calendar()
        return Checked(self.raw, self.problems, content_version(self.directory, self.read))

    def _check_events(self, service_ids: set[str]) -> None:
        sources = {}
        for path in sorted((self.directory / "events").glob("*.yaml")):
            data, source = self.parse(path, "event.schema.json")
            if data is None:
                continue
            eid = data["id"]
            if eid != path.stem:
                self.add(ERROR, source, ("id",), eid, f"the id '{eid}' does not match the file name; rename the "
                         f"file to {eid}.yaml or set id: {path.stem}.")
            if eid in service_ids:
                self.add(ERROR, source, ("id",), eid, f"the event id '{eid}' is also a service id; give the event "
                         "its own id.")
            sources[eid] = (data, source)
        for eid, (data, source) in sources.items():
            conditions = set(data.get("conditions") or {})
            used = set()
            for i, step in enumerate(data["steps"]):
                if "service" in step and step["service"] not in service_ids:
                    self.add(ERROR, source, ("steps", i, "service"), eid,
                             f"step {i + 1} of event '{eid}' names the service '{step['service']}', which does not "
                             "exist; fix the spelling or add the service file.")
                if "event" in step and step["event"] not in sources:
                    self.add(ERROR, source, ("steps", i, "event"), eid,
                             f"step {i + 1} of event '{eid}' names the event '{step['event']}', which does not "
                             "exist; fix the spelling or add the event file.")
                for key in ("condition", "unless"):
                    if step.get(key):
                        used.add(step[key])
                        if step[key] not in conditions:
                            self.add(ERROR, source, ("steps", i, key), eid,
                                     f"step {i + 1} of event '{eid}' depends on the condition '{step[key]}', which "
                                     "is not defined; add it under 'conditions:' as a yes/no question.")
            for cond in sorted(conditions - used):
                self.add(WARNING, source, ("conditions", cond), eid,
                         f"the condition '{cond}' of event '{eid}' is asked but no step depends on it; remove it.")
            self._check_english(data, source, (), eid)
        for eid, (_, source) in sources.items():
            cycle = _event_cycle(eid, sources)
            if cycle:
                self.add(ERROR, source, ("steps",), eid,
                         f"event '{eid}' includes itself through {' → '.join(cycle)}; remove one of those steps.")
        if not any(p.severity == ERROR and p.file.startswith(f"{self.directory.name}/events/") for p in self.problems):
            self.raw.events = [(src.path, data) for data, src in sources.values()]

    def _check_calendar(self) -> dict | None:
        """calendar.yaml (optional): working-day schedules an admin entered, and local closures."""
        path = self.directory / CALENDAR_FILE
        if not path.exists():
            return None
        data, source = self.parse(path, "calendar.schema.json")
        found = calendar_problems(data) if data is not None else []
        for severity, where, text in found:
            self.add(severity, source, where, None, text)
        return None if data is None or any(severity == ERROR for severity, *_ in found) else data

    def _parse_list(self, name, schema, key):
        path = self.directory / name
        if not path.exists():
            return [], None
        before = len(self.errors_so_far())
        data, source = self.parse(path, schema, keep_invalid=True)
        items = [i for i in (data or {}).get(key) or [] if isinstance(i, dict) and isinstance(i.get("id"), str)]
        if len(self.errors_so_far()) > before:
            self.invalid_lists.add(name)
        seen = set()
        for i, item in enumerate(items):
            if item["id"] in seen:
                self.add(ERROR, source, (key, i, "id"), item["id"],
                         f"the id '{item['id']}' is used twice in {name}; give each entry its own id.")
            seen.add(item["id"])
        return items, source

    def errors_so_far(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == ERROR]

    def _check_offices(self, offices, source):
        if "offices.yaml" in self.invalid_lists:
            return  # the schema errors already say what is wrong with them
        for i, office in enumerate(offices):
            if not PHONE.match(office["phone"].replace(" ", "")):
                self.add(ERROR, source, ("offices", i, "phone"), office["id"],
                         f"office '{office['id']}' has the phone number {office['phone']!r}, which is not a phone "
                         "number; write it like 027-85395110, 12345 or 13800000000.")
            self._check_english(office, source, ("offices", i), office["id"])

    def _check_service(self, data, source, office_ids, category_ids, seen, alias_owner):
        sid = data["id"]
        if sid != source.path.stem:
            self.add(ERROR, source, ("id",), sid,
                     f"the id '{sid}' does not match the file name; rename the file to {sid}.yaml or set id: {source.path.stem}.")
        if sid in seen:
            self.add(ERROR, source, ("id",), sid,
                     f"the service id '{sid}' is also used in {seen[sid].name}; each service needs its own id.")
        seen[sid] = source
        for i, office in enumerate(data["offices"]):
            if office not in office_ids:
                self.add(ERROR, source, ("offices", i), sid,
                         f"service '{sid}' names the office '{office}', which is not in offices.yaml; "
                         "fix the spelling or add the office there.")
        if data["category"] not in category_ids:
            self.add(ERROR, source, ("category",), sid,
                     f"service '{sid}' has the category '{data['category']}', which is not in categories.yaml; "
                     f"use one of: {', '.join(sorted(category_ids))}.")
        conditions = set(data.get("conditions") or {})
        used = set()
        for i, document in enumerate(data["documents"]):
            for key in ("condition", "unless"):
                cond = document.get(key)
                if cond is None:
                    continue
                used.add(cond)
                if cond not in conditions:
                    self.add(ERROR, source, ("documents", i, key), sid,
                             f"document {i + 1} of '{sid}' depends on the condition '{cond}', which is not defined; "
                             f"add it under 'conditions:' as a yes/no question, or use one of: {', '.join(sorted(conditions)) or 'none defined'}.")
            self._check_dates(document, source, ("documents", i), sid)
            ids = document["document"] if isinstance(document["document"], list) else [document["document"]]
            for unknown in [d for d in ids if d not in self.document_ids]:
                self.add(ERROR, source, ("documents", i, "document"), sid,
                         f"document {i + 1} of '{sid}' refers to '{unknown}', which is not in documents.yaml; fix the "
                         "id or add the document to the registry (name, issuer, how_to_get, electronic).")
            self.documents_used.update(ids)
        for cond in sorted(conditions - used):
            self.add(WARNING, source, ("conditions", cond), sid,
                     f"the condition '{cond}' of '{sid}' is asked but no document depends on it; "
                     "remove it or mark the documents it decides with 'condition: " + cond + "'.")
        for i, fee in enumerate(data["fees"]):
            self._check_dates(fee, source, ("fees", i), sid)
        self._check_provenance(data, source, office_ids)
        if dt.date.fromisoformat(data["updated"]) > self.today:
            self.add(ERROR, source, ("updated",), sid,
                     f"'{sid}' says it was updated on {data['updated']}, which is in the future; use the date of the edit.")
        if len(data["examples"]) < 5:
            self.add(WARNING, source, ("examples",), sid,
                     f"'{sid}' has {len(data['examples'])} example question(s); add at least 5, in Chinese and English, "
                     "so the matcher and the check of examples have something to work with.")
        for i, alias in enumerate(data["aliases"]):
            key = str(alias).strip().lower()
            owner = alias_owner.get(key)
            if owner and owner[0] != sid:
                self.add(WARNING, source, ("aliases", i), sid,
                         f"the alias '{alias}' of '{sid}' is also an alias of '{owner[0]}' ({owner[1].name}); "
                         "a shared alias makes the bot ask which one is meant. Keep it on one service or make it more specific.")
            else:
                alias_owner[key] = (sid, source)
        self._check_english(data, source, (), sid)

    def _check_dates(self, item, source, path, sid):
        start, end = item.get("effective_from"), item.get("effective_to")
        if start and end and end < start:
            self.add(ERROR, source, path + ("effective_to",), sid,
                     f"{describe(path)} of '{sid}' ends ({end}) before it starts ({start}); swap or fix the dates.")

    def _check_english(self, data, source, path, entry):
        missing = []

        def walk(value, at):
            if isinstance(value, dict):
                if "zh" in value and not value.get("en"):
                    missing.append(at)
                for key, child in value.items():
                    walk(child, at + (key,))
            elif isinstance(value, list):
                for i, child in enumerate(value):
                    walk(child, at + (i,))

        walk(data, path)
        for at in missing:
            self.add(WARNING, source, at, entry,
                     f"{describe(at)} of '{entry}' has no English text; add an 'en:' line so English-speaking citizens get it too.")


    # -- provenance, districts and the catalogue ----------------------------------------------

    def _check_provenance(self, data, source, office_ids):
        """Every fact needs a source and an office that signed it off (or a plain 'unverified')."""
        sid, review = data["id"], data.get("review")
        if not data.get("sources"):
            self.add(WARNING, source, ("id",), sid,
                     f"'{sid}' has no sources; add 'sources:' naming the law and article or the official page "
                     "each fact group comes from.")
        if review is None:
            self.add(WARNING, source, ("id",), sid,
                     f"'{sid}' has no review; add 'review:' with the office that checked it, who, when "
                     "(reviewed_on), the next_review date and the method.")
            return
        if review["office"] not in office_ids:
            self.add(ERROR, source, ("review", "office"), sid,
                     f"the review of '{sid}' names the office '{review['office']}', which is not in offices.yaml; "
                     "fix the spelling or add the office there.")
        if review["next_review"] < self.today.isoformat():
            self.add(WARNING, source, ("review", "next_review"), sid,
                     f"the review of '{sid}' was due on {review['next_review']}; have {review['office']} check the "
                     "entry again, then update reviewed_on and next_review.")

    def _check_local_offices(self, offices):
        """offices/<district>.yaml: each district's own offices, each an instance of a type in offices.yaml."""
        types = {o["id"] for o in offices}
        districts = {d["id"] for d in self.raw.districts}
        seen = set(types)
        for path in sorted((self.directory / "offices").glob("*.yaml")):
            data, source = self.parse(path, "district_offices.schema.json")
            if data is None:
                continue
            district = data["district"]
            if district != path.stem or district not in districts:
                self.add(ERROR, source, ("district",), district,
                         f"'{district}' must be a district id from districts.yaml and equal the file name "
                         f"({path.stem}); fix one of them.")
                continue
            for i, office in enumerate(data["offices"]):
                oid = office["id"]
                if oid in seen:
                    self.add(ERROR, source, ("offices", i, "id"), oid,
                             f"the office id '{oid}' is used twice; give each office its own id.")
                seen.add(oid)
                if office["type"] not in types:
                    self.add(ERROR, source, ("offices", i, "type"), oid,
                             f"office '{oid}' has the type '{office['type']}', which is not in offices.yaml; "
                             "use the id of the office type it is one of.")
                if office.get("address") and not office.get("sources"):
                    self.add(WARNING, source, ("offices", i, "address"), oid,
                             f"office '{oid}' has an address but no source; add 'sources:' saying where the "
                             "address comes from, or set address: null and to_confirm: true.")
                self.raw.local_offices.append((district, office))

    def _check_district_coverage(self, offices, source):
        """A service handled per district needs that district's office for every district."""
        used = {office for _, data in self.raw.services for office in data["offices"]}
        present = {(o["type"], d) for d, o in self.raw.local_offices}
        for i, office in enumerate(offices):
            if not office.get("by_district") or office["id"] not in used:
                continue
            missing = [d["id"] for d in self.raw.districts if (office["id"], d["id"]) not in present]
            if missing:
                self.add(WARNING, source, ("offices", i, "by_district"), office["id"],
                         f"the office type '{office['id']}' has no office of its own in {', '.join(missing)}; "
                         f"add one to offices/<district>.yaml (address: null and to_confirm: true when unknown).")

    def _check_families(self, service_ids):
        families, source = self._parse_list("families.yaml", "families.schema.json", "families")
        owner: dict[str, str] = {}
        for i, family in enumerate(families):
            for j, sid in enumerate(family.get("services", ())):
                matter = sid.removeprefix(MATTER_PREFIX)
                if sid not in service_ids and not (sid.startswith(MATTER_PREFIX) and matter in self.matter_ids):
                    self.add(ERROR, source, ("families", i, "services", j), family["id"],
                             f"family '{family['id']}' names the service '{sid}', which does not exist; fix the "
                             "spelling or remove it.")
            for j, word in enumerate(family.get("words", ())):
                key = phrase_key(word)
                if owner.setdefault(key, family["id"]) != family["id"]:
                    self.add(ERROR, source, ("families", i, "words", j), family["id"],
                             f"the word '{word}' of family '{family['id']}' also belongs to family '{owner[key]}'; "
                             "a question with only that word must lead to one choice. Keep it in one family.")
        self.raw.families = families

    def _check_catalogue(self, office_ids, service_ids, alias_owner):
        """catalogue/*.yaml: matters without a checklist; their names must not be taken by a service."""
        office_ids = office_ids | {o["id"] for _, o in self.raw.local_offices}
        service_phrases = {phrase_key(phrase): sid for phrase, (sid, _) in alias_owner.items()}
        for _, data in self.raw.services:
            service_phrases.update({phrase_key(data["name"]["zh"]): data["id"]})
        seen: dict[str, str] = {}
        matter_phrases: dict[str, str] = {}
        for path in sorted((self.directory / "catalogue").glob("*.yaml")):
            data, source = self.parse(path, "catalogue.schema.json")
            if data is None:
                continue
            for i, matter in enumerate(data["matters"]):
                mid = matter["id"]
                if mid in seen or mid in service_ids:
                    self.add(ERROR, source, ("matters", i, "id"), mid,
                             f"the id '{mid}' is already used by {seen.get(mid) or 'a service'}; give the matter its own id.")
                seen[mid] = source.name
                if matter["office"] not in office_ids:
                    self.add(ERROR, source, ("matters", i, "office"), mid,
                             f"matter '{mid}' names the office '{matter['office']}', which is not in offices.yaml; "
                             "fix the spelling or add the office there.")
                if matter.get("sibling") and matter["sibling"] not in service_ids:
                    self.add(ERROR, source, ("matters", i, "sibling"), mid,
                             f"matter '{mid}' names the sibling service '{matter['sibling']}', which does not exist; "
                             "use a service id from services/ or remove the line.")
                for j, phrase in enumerate([matter["name"]["zh"], *matter["aliases"]]):
                    key = phrase_key(phrase)
                    where = ("matters", i, "aliases", j - 1) if j else ("matters", i, "name")
                    if key in service_phrases:
                        self.add(ERROR, source, where, mid,
                                 f"'{phrase}' of matter '{mid}' is also a name or alias of the service "
                                 f"'{service_phrases[key]}'; a question using it would not know which is meant. "
                                 "Make the alias more specific or remove it.")
                    elif matter_phrases.setdefault(key, mid) != mid:
                        self.add(WARNING, source, where, mid,
                                 f"'{phrase}' of matter '{mid}' is also used by matter '{matter_phrases[key]}'; "
                                 "keep it on one of them.")
                self.raw.matters.append((path, matter))
                self.matter_ids.add(mid)

    def _check_questions(self, service_ids):
        """questions/*.yaml: questions labelled with the service they ask about; the label must be a service, and
        one question must not carry two labels (the second opinion would learn both)."""
        labels: dict[str, tuple[object, str]] = {}
        for path in sorted((self.directory / "questions").glob("*.yaml")):
            data, source = self.parse(path, "questions.schema.json")
            if data is None:
                continue
            for i, item in enumerate(data["questions"]):
                expect = item["expect"]
                for j, sid in enumerate(expect if isinstance(expect, list) else [expect]):
                    if sid is not None and sid not in service_ids:
                        where = ("questions", i, "expect", j) if isinstance(expect, list) else ("questions", i, "expect")
                        self.add(ERROR, source, where, item["q"][:30],
                                 f"the question is labelled with '{sid}', which is not a service; use a service id "
                                 "from services/, null for a matter without a checklist, or a list of ids.")
                first = labels.setdefault(item["q"].strip(), (expect, source.name))
                if first[0] != expect:
                    self.add(ERROR, source, ("questions", i, "expect"), item["q"][:30],
                             f"the same question is labelled '{first[0]}' in {first[1]}; give it one label.")
                self.raw.questions.append((path, item))


def phrase_key(phrase: str) -> str:
    """Names compared the way citizens type them: width, case and punctuation do not matter."""
    return re.sub(r"[\W_]+", "", unicodedata.normalize("NFKC", str(phrase)).lower())


def _event_cycle(start: str, sources: dict) -> list[str] | None:
    """The chain of events that leads from `start` back to itself, if any."""
    def visit(eid, path):
        for step in sources.get(eid, ({"steps": []}, None))[0]["steps"]:
            nested = step.get("event")
            if nested == start:
                return path + [nested]
            if nested and nested not in path:
                found = visit(nested, path + [nested])
                if found:
                    return found
        return None
    return visit(start, [start])


def check_directory(directory: str | Path, today: dt.date | None = None) -> Checked:
    """Run every schema and cross-reference check on a knowledge directory."""
    return _Checker(Path(directory), today or dt.date.today()).run()
