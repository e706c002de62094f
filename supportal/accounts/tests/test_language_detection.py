"""Language identification on the labelled support texts (docs/languages.md states the figures)."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from supportal.accounts.languages import language_detect, language_guess

SAMPLES = Path(__file__).parent / "data" / "language_samples.tsv"


def _samples() -> list[tuple[str, str]]:
    rows = []
    for line in SAMPLES.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            language, text = line.split("\t", 1)
            rows.append((language, text))
    return rows


def test_the_labelled_set_has_at_least_150_texts_in_three_languages_some_without_diacritics():
    rows = _samples()
    assert len(rows) >= 150
    counts = Counter(language for language, _text in rows)
    assert set(counts) == {"ro", "cs", "en"} and min(counts.values()) >= 50
    plain = [t for lang, t in rows if lang in {"ro", "cs"} and t.isascii()]
    assert len(plain) >= 50


def test_each_language_is_recognised_in_at_least_95_percent_of_the_texts():
    right, total = Counter(), Counter()
    for language, text in _samples():
        guessed, _probability = language_guess(text)
        total[language] += 1
        right[language] += guessed == language
    for language in total:
        assert right[language] / total[language] >= 0.95, (language, right[language])


def test_a_stored_guess_is_never_wrong_and_rarely_withheld():
    answers = [(language, language_detect(text)) for language, text in _samples()]
    assert [pair for pair in answers if pair[1] and pair[0] != pair[1]] == []
    withheld = sum(1 for _language, found in answers if not found)
    assert withheld <= len(answers) * 0.05


def test_too_short_or_empty_text_tells_nothing():
    assert language_detect("") == ""
    assert language_detect("OK") == ""
    assert language_detect("HELP-12 ???") == ""
