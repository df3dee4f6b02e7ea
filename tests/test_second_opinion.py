"""The second opinion: a classifier over whole questions that can stop an answer the matcher's rules would give."""

from __future__ import annotations

import pickle
import unicodedata
from dataclasses import replace

import numpy as np
import pytest
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import SGDClassifier

from bot.answering import second_opinion as module
from bot.answering.matching import CLARIFY, Decision, Matcher
from bot.answering.second_opinion import NOT_OURS, SecondOpinion, second_opinion

EXAMPLES = [
    ("身份证丢了怎么补办", "id_card_replacement"), ("身份证掉了要补一张", "id_card_replacement"),
    ("I lost my ID card", "id_card_replacement"), ("身份证被偷了补办", "id_card_replacement"),
    ("护照怎么办理", "passport"), ("第一次办护照要带什么", "passport"), ("how to apply for a passport", "passport"),
    ("护照过期了重新办", "passport"), ("公租房怎么申请", NOT_OURS), ("想申请公租房排队", NOT_OURS),
    ("how do I apply for public rental housing", NOT_OURS),
]


@pytest.mark.parametrize("examples", [EXAMPLES, [e for e in EXAMPLES if e[1] != NOT_OURS]], ids=["three", "two"])
def test_probabilities_are_scikit_learns(examples):
    """Features and scores are computed by hand (scikit-learn's per-question overhead is milliseconds); they
    must be what scikit-learn's TF-IDF vectoriser and classifier give, with three labels or two."""
    opinion = SecondOpinion(examples)
    vectoriser = TfidfVectorizer(analyzer="char", ngram_range=(1, 3), sublinear_tf=True, vocabulary=opinion._columns,
                                 preprocessor=lambda text: " ".join(unicodedata.normalize("NFKC", text).lower().split()))
    model = SGDClassifier(loss="log_loss", alpha=module.REGULARISATION, max_iter=module.EPOCHS, tol=None,
                          random_state=0)
    model.fit(vectoriser.fit_transform([text for text, _ in examples]), [label for _, label in examples])
    questions = ["身份证丢了", "passport renewal", "公租房", "完全无关的一句话", "ＰＡＳＳＰＯＲＴ"]
    expected = model.predict_proba(vectoriser.transform(questions))
    for question, row in zip(questions, expected, strict=True):
        got = opinion.probabilities(question)
        assert list(got) == list(model.classes_)
        np.testing.assert_allclose(list(got.values()), row, rtol=1e-4, atol=1e-6)


@pytest.mark.parametrize(("question", "likeliest"), [
    ("我的身份证丢了能补吗", "id_card_replacement"), ("办护照要带什么", "passport"),
    ("公租房申请条件", NOT_OURS)])
def test_the_likeliest_label_is_the_one_its_examples_teach(question, likeliest):
    chances = SecondOpinion(EXAMPLES).probabilities(question)
    assert max(chances, key=chances.get) == likeliest
    assert sum(chances.values()) == pytest.approx(1.0)


def test_the_same_examples_train_once_and_the_result_pickles():
    """Tests and /reload build many matchers on the same questions; the reload's child sends it back pickled."""
    first = second_opinion(EXAMPLES)
    assert second_opinion(list(EXAMPLES)) is first
    assert second_opinion(EXAMPLES[:-1]) is not first
    copy = pickle.loads(pickle.dumps(first))
    assert copy.probabilities("护照") == first.probabilities("护照")


def test_a_service_without_labelled_questions_is_answered_on_the_rules(knowledge):
    """The second opinion knows only services it has labelled questions for; it does not doubt the others."""
    about_id_cards = tuple(q for q in knowledge.questions if q.label in ("id_card_replacement", "id_card_renewal"))
    matcher = Matcher(replace(knowledge, questions=about_id_cards))
    decision = matcher.decide("第一次办护照，要带什么材料")
    assert (decision.action, decision.service_id, decision.second_opinion) == ("answer", "passport", None)
    assert matcher.decide("身份证丢了怎么补办").service_id == "id_card_replacement"


STORY = ("我是宜昌人，在武汉做快递三年了，一直租房。孩子明年要在武汉读小学，学校说外地户口的家长要有居住证才能报名。"
         "请问这个证怎么办？要不要开社保缴费证明？")


@pytest.mark.parametrize(("asks_for_both", "action"), [(False, "answer"), (True, "clarify")])
def test_a_long_posts_choice_is_answered_when_sure_unless_both_are_asked(matcher, asks_for_both, action):
    """The rules' choice in a story is answered with the option the second opinion is sure of; a citizen who asks
    about two services at once ("先办营业执照还是先办许可证") still gets both."""
    choice = Decision(CLARIFY, None, ("school_enrollment", "residence_permit"), 80.0)
    decision = matcher._second_look(choice, STORY, asks_for_both=asks_for_both)
    assert decision.action == action
    assert decision.service_id == ("residence_permit" if action == "answer" else None)
