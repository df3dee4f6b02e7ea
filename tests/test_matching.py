"""The matcher: answer, clarify or escalate, on a table of questions and on whole question sets."""

from __future__ import annotations

import pytest

from bot.answering.evaluation import evaluate_cases, load_cases
from bot.answering.matching import (
    _FOREIGN_WRITER,
    _LANDLORD_WRITER,
    DONE_WEIGHT,
    TOLD_WEIGHT,
    Matcher,
    _not_asked,
    _required_request,
    _weight,
    _without_documents,
    same_meaning,
)
from bot.answering.text import normalize
from bot.config import Thresholds
from tests.conftest import TESTS, load_table

CASES = load_table("matching.yaml")
QUESTION_SETS = load_table("question_sets.yaml")


@pytest.mark.parametrize("case", CASES, ids=[c["q"] or "<empty>" for c in CASES])
def test_decisions(matcher, case):
    decision = matcher.decide(case["q"])
    if "never" in case:  # whatever else happens, this service (matter, event:<id>) is not the answer
        event = decision.event_id and f"event:{decision.event_id}"
        assert case["never"] not in (decision.service_id, decision.matter_id, event), decision
        return
    assert decision.action == case["action"], decision
    if "service" in case:
        assert decision.service_id == case["service"]
    if "matter" in case:
        assert decision.matter_id == case["matter"]
    if "options" in case:
        assert set(case["options"]) <= set(decision.options)
        assert 2 <= len(decision.options) <= 4
    if case.get("only"):  # a family's question offers its services and nothing unrelated
        assert set(decision.options) == set(case["options"])


def test_a_clarification_never_answers_and_an_answer_has_no_options(matcher):
    for case in CASES:
        decision = matcher.decide(case["q"])
        assert (decision.service_id is None) == (decision.action != "answer")
        assert bool(decision.options) == (decision.action == "clarify")


def test_thresholds_come_from_configuration(knowledge):
    strict = Matcher(knowledge, Thresholds(answer=100.1, clarify=100.1))
    assert strict.decide("低保怎么申请").action == "escalate"


@pytest.mark.parametrize("bar", QUESTION_SETS, ids=[b["set"] for b in QUESTION_SETS])
def test_question_sets_meet_their_bar(matcher, bar: dict):
    """Citizen question sets written apart from the knowledge base (see the README, "Question sets")."""
    result = evaluate_cases(matcher, load_cases(TESTS.parent / bar["set"]))
    limits = {name: value for name, value in bar.items() if name != "set"}
    failed = result.below(**limits)
    assert not failed, result.summary_text()


def test_every_question_set_has_a_bar():
    sets = [*(TESTS / "eval").glob("*.yaml"), *(TESTS.parent / "knowledge" / "questions").glob("*.yaml")]
    assert {b["set"] for b in QUESTION_SETS} == {p.relative_to(TESTS.parent).as_posix() for p in sets}


@pytest.mark.parametrize(("question", "kept"), [("房东需要提供什么", "房东需要提供什么"), ("还要带啥", "还要带啥"),
                                               ("报户口需要提供出生证吗", "报户口〇〇〇〇〇〇〇〇"),
                                               ("没有租房备案能不能取", "〇〇〇〇〇〇〇〇〇取"),
                                               ("没有施工许可证不能开工", "没有施工许可证不能开工"),
                                               ("here on a valid residence permit", "here " + "〇" * 27),
                                               ("how do i apply for a residence permit",
                                                "how do i apply for a residence permit"),
                                               ("just landed on a z visa", "just landed on a z visa"),
                                               ("can i use my passport instead of an id card",
                                                "can i " + "〇" * 37),
                                               ("i need a notarised copy of my degree", "i need a notarised copy of my degree"),
                                               ("do i need my passport and the original marriage cert",
                                                "do i " + "〇" * 47),
                                               ("my residence permit expires in march", "〇" * 27 + " in march"),
                                               ("how do i renew a residence permit", "how do i renew a residence permit"),
                                               ("my residence permit is valid until may", "〇" * 28 + " until may"),
                                               ("can we register a company, does my passport need notarization",
                                                "can we register a company, " + "〇" * 34),
                                               ("we marry here, does my passport need a translation",
                                                "we marry here, " + "〇" * 35),
                                               ("can we divorce at the marriage registration office here",
                                                "can we divorce " + "〇" * 35 + " here"),
                                               ("我的租房合同没有去备案，还能提吗", "我的" + "〇" * 9 + "，还能提吗"),
                                               # as the matcher sees it: normalized, so "won't" is "won t"
                                               ("my landlord won t do lease filing can i still withdraw",
                                                "my landlord " + "〇" * 21 + " can i still withdraw"),
                                               ("钱是打到社保卡上吗", "钱是" + "〇" * 5 + "上吗"),
                                               ("房产证能办吗，公积金贷款还没还完", "房产证能办吗，" + "〇" * 9),
                                               ("我有居住证的，有没有人知道", "我" + "〇" * 4 + "的，有没有人知道"),
                                               ("can he sign in france and get it notarized there",
                                                "can he sign in france and get it " + "〇" * 15),
                                               ("my dad is retired with wuhan employee medical insurance, can he see a doctor there",
                                                "my dad " + "〇" * 10 + " " + "〇" * 37 + ", can he see a doctor there"),
                                               # 说 in another clause: the certificate is a paper to bring
                                               ("公司说生育津贴要自己去申请，还要提供出生医学证明", "公司说生育津贴要自己去申请，" + "〇" * 10),
                                               ("我爸有二级肢体残疾证好几年了", "我爸" + "〇" * 8 + "好几年了"),
                                               # what someone said the citizen needs is the request (see _REQUIRED)
                                               ("学校说非本地户口要提供居住证，怎么办", "学校说非本地户口要提供居住证，怎么办"),
                                               ("what do i need, a notarized passport", "what do i need, a " + "〇" * 18),
                                               ("奶奶有银行卡和社保卡", "奶奶" + "〇" * 8),
                                               ("外地户口要有居住证", "外地户口要有居住证"), ("有没有身份证", "有没有身份证"),
                                               ("驾照有效期满了换证", "驾照有效期满了换证")])
def test_documents_to_bring_and_what_is_lacked_are_blanked_and_asking_words_are_not(question, kept):
    assert _without_documents(question) == kept


@pytest.mark.parametrize(("clause", "weight"), [("学校说外地户口的家长要有居住证", 1.0), ("派出所说得先办出生医学证明", 1.0),
                                               ("孩子明年要在这边上小学", TOLD_WEIGHT), ("身份证怎么补", 1.0)])
def test_what_someone_said_the_citizen_needs_counts_as_asked(clause, weight):
    assert _weight(clause, told_counts_less=True) == weight


@pytest.mark.parametrize(("clause", "weight"), [("married my chinese wife in wuhan back in 2016", DONE_WEIGHT),
                                               ("户口也迁过来了", DONE_WEIGHT), ("怕以后退休领不到养老金", DONE_WEIGHT),
                                               ("we married in wuhan in 2018", DONE_WEIGHT), ("宝宝刚上了户口", DONE_WEIGHT),
                                               ("现在孩子上学报名要用", DONE_WEIGHT), ("学校让家长给孩子办社保卡，说以后看病都要用", TOLD_WEIGHT),
                                               ("会不会影响学籍和以后的毕业证", DONE_WEIGHT), ("现在是不是有那种简易的", 1.0),
                                               ("孩子明年上小学", TOLD_WEIGHT)])
def test_what_is_done_or_feared_counts_less_than_what_is_told(clause, weight):
    assert _weight(clause, told_counts_less=True) == weight


@pytest.mark.parametrize(("name", "text", "not_asked"), [("出生证明", "出生证明医院已经给了", True),
                                                        ("发票", "房东不给开发票", True),
                                                        ("身份证", "派出所不给办身份证", False),
                                                        ("出生证", "我的出生证早就没了", True),
                                                        # another clause, someone else's: 高龄补贴 is still asked about
                                                        ("高龄补贴", "每个月有高龄补贴 她都领了好几年了", False),
                                                        ("出生证明", "出生证明怎么开", False),
                                                        # found with a gap: judged where its characters end
                                                        ("出生证", "出生医学证明已经拿到手了", True),
                                                        ("出生证", "出生医学证明怎么办", False)])
def test_what_was_handed_over_or_refused_is_not_the_request(name, text, not_asked):
    assert _not_asked(name, text) == not_asked


@pytest.mark.parametrize(("text", "folded"), [("一直冇办过身份证", "第一次办身份证"),  # Wuhan speech: 冇 is 没
                                             ("营业执照已经办下来了（个体户），还要办什么", "营业执照已经办下来了，还要办什么"),
                                             ("养老保险怎么转到长沙去", "养老保险转移到长沙去")])
def test_wordings_that_mean_the_same_are_folded(text, folded):
    assert same_meaning(text) == folded


def test_an_english_name_is_not_meant_without_its_rarest_word(matcher):
    """'medical check' shares two of three words with 'premarital medical check', but not the one that says which."""
    assert matcher.signals("do i need a new medical check")["matter:premarital_medical_check"][0] == 0.0
    assert matcher.signals("do we need a premarital check")["matter:premarital_medical_check"][0] > 0.0


def test_a_city_is_not_a_typo_of_a_pinyin_alias(matcher):
    """'shanghai' is one letter from 'shangpai' (上牌), an alias of the vehicle registration."""
    assert matcher.signals("my company is sending me to shanghai").get("vehicle_registration", (0.0,))[0] == 0.0
    assert matcher.signals("shangpai").get("vehicle_registration", (0.0,))[0] > 0.0


@pytest.mark.parametrize(("text", "foreign"), [("I'm German, my girlfriend is from Hankou", True),
                                              ("my wife and me are both Pakistani", True),
                                              ("my wife and I are both from Nigeria", True),
                                              ("our embassy needs this paper for the baby's passport", True),
                                              ("As a foreigner, can I apply?", True),
                                              ("I entered with a Z visa last week", True),
                                              ("Foreign teacher here, 3 years in Wuhan", True),
                                              ("I'm Chinese but grew up in Canada", False),
                                              ("my passport expires next month", False)])
def test_a_writer_who_says_they_are_a_foreigner_is_recognised(text, foreign):
    assert bool(_FOREIGN_WRITER.search(normalize(text))) == foreign


@pytest.mark.parametrize(("text", "landlord"), [("我是房东，租客说要办居住证", True),
                                               ("我把房子租给了一对年轻夫妻", True),
                                               ("我在汉阳有一套房子出租", True),
                                               ("my tenant needs the lease filed", True),
                                               ("We just rented it out to a young couple. The tenant asked us to file", True),
                                               ("房东不给备案，我能自己办居住证吗", False),
                                               ("my landlord refuses to file the lease", False)])
def test_a_writer_who_lets_a_home_is_recognised(text, landlord):
    """A landlord asking about a tenant's 居住证 or school place tells the tenant's need, not their own."""
    assert bool(_LANDLORD_WRITER.search(normalize(text))) == landlord


@pytest.mark.parametrize(("clause", "required"), [("朋友说还必须办食品经营许可证", True), ("说要有居住证才能参保", False),
                                                 ("my visa agent says i must register at the police station", True),
                                                 ("hr told me to apply for the card myself", True),
                                                 ("i m told she needs a gongzheng from a notary office", True),
                                                 ("hr says i have to get a residence permit before i can open it", False)])
def test_what_someone_says_the_citizen_must_get_is_a_request(clause, required):
    assert _required_request(clause) == required


def test_a_matcher_that_has_answered_still_pickles(matcher):
    """The process that checks a reload sends its matcher back pickled; its caches must not stop that."""
    import pickle

    matcher.decide("how do I renew my pasport")
    copy = pickle.loads(pickle.dumps(matcher))
    assert copy.decide("how do I renew my pasport") == matcher.decide("how do I renew my pasport")
