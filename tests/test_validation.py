"""The validator: one broken file per rule, each reported as a sentence with file:line."""

from __future__ import annotations

import datetime as dt
import shutil

import pytest
import yaml

from bot.config import BUNDLED_KNOWLEDGE
from bot.knowledge.loading import KnowledgeError, load_knowledge
from bot.knowledge.validation import check_directory
from tests.conftest import load_table

CASES = load_table("validation.yaml")


def _dig(data, path):
    for key in path[:-1]:
        data = data[key]
    return data


def break_knowledge(directory, case):
    target = directory / case["file"]
    if "copy_from" in case:
        shutil.copy(directory / case["copy_from"], target)
        return
    if "text" in case:
        old, new = case["text"]
        text = target.read_text(encoding="utf-8")
        assert old in text, f"the test's text edit does not apply to {case['file']}"
        target.write_text(text.replace(old, new), encoding="utf-8")
        return
    data = yaml.safe_load(target.read_text(encoding="utf-8"))
    for key in ("set", "also_set"):
        if key in case:
            path = case[key]["path"]
            _dig(data, path)[path[-1]] = case[key]["value"]
    if "delete" in case:
        path = case["delete"]
        del _dig(data, path)[path[-1]]
    if "append_alias" in case:
        data["aliases"].append(case["append_alias"])
    target.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=1000), encoding="utf-8")


@pytest.mark.parametrize("case", CASES, ids=[c["rule"] for c in CASES])
def test_each_rule_is_reported_with_file_and_line(knowledge_copy, case):
    break_knowledge(knowledge_copy, case)
    checked = check_directory(knowledge_copy, today=dt.date(2026, 12, 1))
    severity = case.get("severity", "error")
    matching = [p for p in checked.problems if case["expect"] in p.message and p.severity == severity]
    assert matching, "\n".join(map(str, checked.problems)) or "no problems reported"
    problem = matching[0]
    assert problem.file == f"knowledge/{case['file']}"
    assert problem.line is not None and problem.line >= 1
    assert str(problem).startswith(f"knowledge/{case['file']}:{problem.line}: ")


def test_the_shipped_knowledge_base_has_no_problems():
    checked = check_directory(BUNDLED_KNOWLEDGE)
    assert [str(p) for p in checked.problems] == []


def test_line_numbers_point_at_the_broken_value(knowledge_copy):
    path = knowledge_copy / "services" / "passport.yaml"
    lines = path.read_text(encoding="utf-8").splitlines()
    office_line = next(i for i, line in enumerate(lines, 1) if line.strip() == "- exit_entry_bureau")
    path.write_text("\n".join(lines).replace("- exit_entry_bureau", "- no_such_office") + "\n", encoding="utf-8")
    problems = check_directory(knowledge_copy).errors
    assert [(p.line, p.entry) for p in problems] == [(office_line, "passport")]


def test_all_problems_are_reported_at_once(knowledge_copy):
    for case in CASES:
        if case["rule"] in {"unknown category", "unknown condition", "malformed phone number"}:
            break_knowledge(knowledge_copy, case)
    (knowledge_copy / "services" / "visa.yaml").write_text("id: visa\nname: [\n", encoding="utf-8")
    with pytest.raises(KnowledgeError) as raised:
        load_knowledge(knowledge_copy)
    found = {(p.file, p.message.split(";")[0]) for p in raised.value.problems}
    assert ("knowledge/offices.yaml", "office 1 → 'phone' is '027-8539-51x0', which is not a phone number") in found
    assert ("knowledge/services/visa.yaml", "the file is not valid YAML (did not find expected node content)") in found
    assert len([f for f, _ in found if f == "knowledge/services/passport.yaml"]) >= 2
    assert "error(s) and was not loaded" in str(raised.value)


def test_a_missing_directory_is_one_clear_error(tmp_path):
    checked = check_directory(tmp_path / "nowhere")
    assert [p.message for p in checked.errors] == [
        "the knowledge directory does not exist; pass the folder that holds offices.yaml and services/."]


def test_events_that_include_each_other_are_a_cycle(knowledge_copy):
    events = knowledge_copy / "events"
    for name, other in (("first_job", "moving_house"), ("moving_house", "first_job")):
        data = yaml.safe_load((events / "retirement.yaml").read_text(encoding="utf-8"))
        data.update(id=name, steps=[{"service": "residence_permit"}, {"event": other}])
        data.pop("conditions")
        (events / f"{name}.yaml").write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False),
                                             encoding="utf-8")
    messages = [p.message for p in check_directory(knowledge_copy).errors]
    assert "event 'first_job' includes itself through first_job → moving_house → first_job; remove one of those steps." \
        in messages


def test_nested_events_are_flattened_in_order(knowledge_copy):
    events = knowledge_copy / "events"
    data = yaml.safe_load((events / "retirement.yaml").read_text(encoding="utf-8"))
    data.update(id="family_start", steps=[{"event": "marriage"}, {"event": "newborn"}])
    data.pop("conditions")
    (events / "family_start.yaml").write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False),
                                              encoding="utf-8")
    knowledge = load_knowledge(knowledge_copy)
    steps = knowledge.events["family_start"].steps
    assert [s.service_id for s in steps][:2] == ["marriage_registration", "hukou_transfer"]
    assert steps[1].condition == "spouse_moves"
    assert knowledge.events["family_start"].condition("spouse_moves") is not None  # asked when tailoring
