"""A second opinion on an answer before it is given.

The matcher reads a question through names, aliases and rules. Where it goes wrong, it is mostly on long posts
whose story names other services, and on near-miss matters it does not hold. A linear classifier over the
characters of whole questions, trained on labelled questions of the kind citizens write
(knowledge/questions/) and on the knowledge base's own names, aliases and examples, sees the post as a whole.
When it gives the matcher's service a very low probability, the answer is not given: the citizen is asked to
choose, or staff take the question.

The classifier is scikit-learn's SGDClassifier with logistic loss on TF-IDF weighted character 1-3-grams. Only
the training uses scikit-learn; a question is scored here with numpy, from the vocabulary, weights and
coefficients it learnt (scikit-learn's per-call overhead is several milliseconds).
"""

from __future__ import annotations

import hashlib
import unicodedata
from collections import Counter
from collections.abc import Iterable

import numpy as np

NOT_OURS = ""  # the label of a question about a matter without a checklist here
GRAM_SIZES = (1, 2, 3)
MIN_QUESTIONS = 2  # a character n-gram in fewer training questions is noise, and costs memory
REGULARISATION = 1e-5  # SGDClassifier's alpha
EPOCHS = 10
FITTED_KEPT = 4  # trained classifiers kept per process, by their training data (tests and /reload reuse them)


def _grams(text: str) -> list[str]:
    text = " ".join(unicodedata.normalize("NFKC", text).lower().split())  # full-width ＰＡＳＳＰＯＲＴ too
    return [text[i:i + n] for n in GRAM_SIZES for i in range(len(text) - n + 1)]


class SecondOpinion:
    """How probable each service is for a question, from labelled questions (text, service id or NOT_OURS)."""

    def __init__(self, examples: list[tuple[str, str]]):
        # Training only: importing scikit-learn costs about a second and 60 MB.
        from sklearn.feature_extraction.text import CountVectorizer, TfidfTransformer
        from sklearn.linear_model import SGDClassifier

        counter = CountVectorizer(analyzer=_grams, min_df=MIN_QUESTIONS)
        weighting = TfidfTransformer(sublinear_tf=True)
        matrix = weighting.fit_transform(counter.fit_transform([text for text, _ in examples]))
        self._columns = {str(gram): int(column) for gram, column in counter.vocabulary_.items()}
        self._idf = weighting.idf_
        model = SGDClassifier(loss="log_loss", alpha=REGULARISATION, max_iter=EPOCHS, tol=None, random_state=0,
                              n_jobs=2)  # one-vs-rest: the classes train in parallel
        model.fit(matrix, [label for _, label in examples])
        self.labels = tuple(str(label) for label in model.classes_)
        self._weights = np.ascontiguousarray(model.coef_.T)  # one row per n-gram
        self._bias = model.intercept_

    def _weighted(self, grams: Counter) -> tuple[list[int], np.ndarray]:
        """Columns and l2-normalised sublinear TF-IDF weights of a question's known n-grams."""
        known = self._columns
        found = [(column, n) for gram, n in grams.items() if (column := known.get(gram)) is not None]
        if not found:
            return [], np.zeros(0)
        columns, counts = zip(*found, strict=True)
        weights = (1 + np.log(counts)) * self._idf[list(columns)]
        return list(columns), weights / np.sqrt(weights @ weights)

    def probabilities(self, question: str) -> dict[str, float]:
        """Each label's probability: one-vs-rest logistic scores, normalised (as scikit-learn's predict_proba)."""
        columns, weights = self._weighted(Counter(_grams(question)))
        scores = weights @ self._weights[columns] + self._bias if columns else self._bias
        chances = 1 / (1 + np.exp(-scores))
        if len(self.labels) == 2:  # a binary model scores the second label only
            chances = np.array([1 - chances[0], chances[0]])
        chances /= chances.sum()
        return dict(zip(self.labels, chances.tolist(), strict=True))


_fitted: dict[str, SecondOpinion] = {}


def second_opinion(examples: Iterable[tuple[str, str]]) -> SecondOpinion:
    """A classifier trained on these examples; the same examples give the same one without training again."""
    examples = list(examples)
    key = hashlib.sha256("\0".join(f"{text}\1{label}" for text, label in examples).encode()).hexdigest()
    if key not in _fitted:
        while len(_fitted) >= FITTED_KEPT:
            _fitted.pop(next(iter(_fitted)))
        _fitted[key] = SecondOpinion(examples)
    return _fitted[key]
