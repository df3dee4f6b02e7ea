"""python -m bot: every command has help with an example, and behaves as its help says."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
import yaml

from bot.cli.main import cli
from bot.records.ledger import Ledger
from tests.conftest import TESTS


@pytest.mark.parametrize("name", sorted(cli.commands))
def test_commands_have_help_with_an_example(name):
    command = cli.commands[name]
    assert command.help and "Example" in command.help, f"{name} has no help with an example"


def test_ask_prints_the_decision_and_records_it(run, tmp_path):
    result = run("ask", "护照过期了怎么换", "--json")
    assert result.exit_code == 0
    data = json.loads(result.output)
    assert (data["action"], data["service"]) == ("answer", "passport")
    assert "普通护照申领" in data["reply"]
    assert Ledger(tmp_path / "ledger.db").inquiries()[0].channel == "cli"


def test_eval_reports_and_fails_below_a_threshold(run, tmp_path):
    questions = tmp_path / "q.yaml"
    questions.write_text(yaml.safe_dump([{"q": "护照过期了怎么换", "expect": "passport"},
                                         {"q": "今天天气怎么样", "expect": None},
                                         {"q": "公积金", "expect": ["provident_fund_loan", "provident_fund_rent_withdrawal"]},
                                         {"q": "身份证丢了", "expect": "passport"}], allow_unicode=True))
    result = run("eval", str(questions), "--json")
    lines = [json.loads(line) for line in result.output.splitlines()]
    assert [line["action"] for line in lines[:4]] == ["answer", "escalate", "clarify", "answer"]
    assert set(lines[0]) >= {"q", "action", "service", "options", "score"}
    assert lines[-1]["summary"]["top1_accuracy"] == 0.5 and lines[-1]["summary"]["wrong_answer_rate"] == 0.5
    assert result.exit_code == 0
    assert run("eval", str(questions), "--min-accuracy", "0.9").exit_code == 1
    assert run("eval", str(questions), "--max-wrong", "0.6", "--min-rejection", "1").exit_code == 0


def test_eval_names_a_malformed_item(run, tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("- {q: 护照}\n", encoding="utf-8")
    result = run("eval", str(bad))
    assert result.exit_code == 1 and "item 1 must have a text 'q' and an 'expect'" in result.output


def test_validate_passes_the_shipped_knowledge_and_fails_a_broken_copy(run, knowledge_copy):
    assert run("validate", str(knowledge_copy)).exit_code == 0
    (knowledge_copy / "services" / "passport.yaml").write_text("id: passport\nname: [\n", encoding="utf-8")
    result = run("validate", str(knowledge_copy), "--json")
    assert result.exit_code == 1
    report = json.loads(result.output)
    assert report["errors"] == 1 and report["problems"][0]["file"] == "knowledge/services/passport.yaml"


def test_validate_strict_fails_on_warnings(run, knowledge_copy):
    path = knowledge_copy / "services" / "passport.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data["examples"] = data["examples"][:2]
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    assert run("validate", str(knowledge_copy)).exit_code == 0
    assert run("validate", str(knowledge_copy), "--strict").exit_code == 1


def test_chat_answers_clarifies_and_lets_the_citizen_pick(run, tmp_path):
    result = run("chat", input="公积金\n2\n我家狗狗走丢了怎么办\n/quit\n")
    assert result.exit_code == 0
    assert "您想办理的是哪一项" in result.output
    assert "【需要准备的材料】" in result.output
    rows = Ledger(tmp_path / "ledger.db").inquiries("console")
    assert [r.action for r in rows] == ["clarify", "chosen", "escalate"]
    assert rows[2].case_id is not None and f"#{rows[2].case_id}" in result.output


def test_python_dash_m_bot_runs_as_a_module(tmp_path):
    result = subprocess.run([sys.executable, "-m", "bot", "ask", "低保怎么申请", "--json"], capture_output=True,
                            text=True, cwd=TESTS.parent, env={"DATABASE_PATH": str(tmp_path / "m.db"), "PATH": ""},
                            timeout=60)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["service"] == "subsistence_allowance"


def test_chat_tailors_a_list_and_saves_it(run, tmp_path):
    answers = "n\ny\nn\ny\n"  # minor, agent, state employee, old passport
    result = run("chat", input="护照过期了怎么换\n/tailor\n" + answers + "/save\n/quit\n")
    assert result.exit_code == 0
    assert "【您的情况】" in result.output and "代办人居民身份证" in result.output.split("【您的情况】")[1]
    assert "户口簿或出生医学证明" not in result.output.split("【您的情况】")[1]
    [saved] = (tmp_path / "checklists").glob("checklist-passport-*.html")
    assert 'ul class="check"' in saved.read_text(encoding="utf-8")
    rows = Ledger(tmp_path / "ledger.db").inquiries("console")
    assert rows[-1].answers == {"minor": False, "agent": True, "state_employee": False, "old_passport": True}
