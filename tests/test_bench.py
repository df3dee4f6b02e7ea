"""The benchmark (bench/): synthetic knowledge bases are valid and varied; a quick run writes every figure.

No timing is asserted: the machines are shared and noisy, and the targets are reported, not enforced.
"""

from __future__ import annotations

import json

import pytest

from bench.run import run_benchmark
from bench.synthetic import build_directory, shipped_services
from bot.knowledge.loading import load_knowledge
from bot.knowledge.validation import check_directory


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory):
    return build_directory(tmp_path_factory.mktemp("synthetic") / "kb", 300)


def test_a_synthetic_knowledge_base_loads_with_the_size_asked_for(synthetic):
    knowledge = load_knowledge(synthetic)  # validates first: raises on any error
    assert len(knowledge.services) == 300
    assert len(list((synthetic / "services").glob("*.yaml"))) == 300


def test_a_synthetic_knowledge_base_has_no_validation_warnings(synthetic):
    assert check_directory(synthetic).problems == []


def test_generated_services_have_their_own_names_aliases_and_examples(synthetic):
    services = load_knowledge(synthetic).services.values()
    names = [s.name.zh for s in services]
    aliases = [a.strip().lower() for s in services for a in s.aliases]
    examples = [x for s in services for x in s.examples]
    assert len(set(names)) == len(names)
    assert len(set(aliases)) == len(aliases)
    assert len(set(examples)) == len(examples)


def test_generated_services_are_variations_not_copies(synthetic):
    shipped = {s["id"]: s for s in shipped_services()}
    generated = [s for s in load_knowledge(synthetic).services.values() if s.id not in shipped]
    shipped_aliases = {str(a) for s in shipped.values() for a in s["aliases"]}
    assert len(generated) == 300 - len(shipped)
    assert not any(set(s.aliases) & shipped_aliases for s in generated)
    # Both kinds of variation are present: a shipped service in a district, and a new licence matter.
    assert any(any(s.id.startswith(sid + "_") for sid in shipped) for s in generated)
    assert any(s.name.zh.endswith(("核发", "补发", "换发", "变更", "注销", "延续")) for s in generated)


def test_the_generator_refuses_a_size_below_the_shipped_base(tmp_path):
    with pytest.raises(ValueError, match="smaller than the 40 shipped services"):
        build_directory(tmp_path / "kb", 10)


def test_a_quick_run_writes_every_figure(tmp_path):
    run_benchmark(quick=True, output=tmp_path, progress=False)
    results = json.loads((tmp_path / "results.json").read_text(encoding="utf-8"))
    assert (tmp_path / "results.md").read_text(encoding="utf-8").count("|") > 50
    assert {"machine", "settings", "sizes", "baselines", "targets", "notes", "duration_seconds"} <= set(results)
    assert {"cores", "cpu_model", "python", "date"} <= set(results["machine"])
    assert [s["services"] for s in results["sizes"]] == list(results["settings"]["sizes"])
    for size in results["sizes"]:
        assert {"load_index_seconds", "peak_rss_mb", "matcher_p50_ms", "matcher_p99_ms", "matcher_questions",
                "answer_per_second"} <= set(size)
    assert {"answered_per_second", "answered", "questions", "peak_rss_mb"} <= set(results["sizes"][0]["e2e"])
    methods = results["baselines"]["methods"]
    assert {"matcher", "tfidf_best", "tfidf_at_bar", "bm25_best", "bm25_at_bar"} == set(methods)
    for method in (methods["matcher"], methods["tfidf_best"], methods["bm25_best"]):
        assert {"top1_accuracy", "wrong_answer_rate", "out_of_scope_rejection", "ms_per_question"} <= set(method)
    assert [t["key"] for t in results["targets"]] == ["matcher_p99", "matcher_p50", "answering", "load_index",
                                                      "peak_rss", "e2e", "accuracy", "wrong"]


def test_a_run_without_output_writes_where_git_ignores():
    """`python -m bot bench --quick` must leave `git status` clean: the tracked bench/results only with --output."""
    import subprocess

    from bench.run import DEFAULT_OUTPUT, RESULTS, ROOT

    ignored = subprocess.run(["git", "check-ignore", "-q", str(DEFAULT_OUTPUT / "results.json")], cwd=ROOT)
    assert ignored.returncode == 0 and DEFAULT_OUTPUT != RESULTS
