"""The vocabulary is read from the form: thresholds, bands, grades, criteria, age bands and flag labels."""

from __future__ import annotations

from pathlib import Path

import pytest

from dsvdesk.engine.loader import load_form, load_form_text
from dsvdesk.engine.vocabulary import (
    AGE_OTHER,
    VocabularyError,
    bands_from_floors,
    vocabulary_for,
    vocabulary_of,
)

ROOT = Path(__file__).resolve().parents[3]
FORM_124D = ROOT / "forms" / "124d.yaml"


def test_the_shipped_124d_gives_every_value() -> None:
    vocabulary = vocabulary_of(load_form(FORM_124D))
    vocabulary.require_risk("Part A")
    assert vocabulary.high_risk_threshold == 14
    assert [b.label for b in vocabulary.yes_bands] == ["0", "1–9", "10–13", "14+"]
    assert [b.key for b in vocabulary.yes_bands] == ["band_0", "band_1_9", "band_10_13", "band_14_plus"]
    assert vocabulary.grade_values == ("standard", "medium", "high")
    assert vocabulary.top_grade == "high"
    assert vocabulary.grade_label("medium") == "Medium"
    assert vocabulary.normalise_grade(" HIGH ") == "high"
    assert vocabulary.criterion_label("repeat") == "Repeat referral"
    assert [b.key for b in vocabulary.age_bands] == ["age_16_35", "age_36_60", "age_61_plus"]
    assert vocabulary.age_band(15) == AGE_OTHER
    assert vocabulary.age_band(36) == "age_36_60"
    assert vocabulary.is_urgent("high_without_marac")
    assert not vocabulary.is_urgent("potential_escalation")
    assert vocabulary.flag_label("family_court_order") == "Family court order"


def test_changed_form_values_change_the_vocabulary() -> None:
    text = FORM_124D.read_text(encoding="utf-8")
    text = text.replace("marac_yes_threshold: 14", "marac_yes_threshold: 16")
    text = text.replace("local_band_medium_from: 10", "local_band_medium_from: 8")
    text = text.replace('label: "High", help:', 'label: "Severe", help:')
    text = text.replace("age_band_floors: [16, 36, 61]", "age_band_floors: [18, 65]")
    vocabulary = vocabulary_of(load_form_text(text, "changed.yaml"))
    assert [b.label for b in vocabulary.yes_bands] == ["0", "1–7", "8–15", "16+"]
    assert vocabulary.yes_band(15).key == "band_8_15"
    assert vocabulary.is_high_risk_count(16) and not vocabulary.is_high_risk_count(15)
    assert vocabulary.grade_label("high") == "Severe"
    assert [b.label for b in vocabulary.age_bands] == ["18–64", "65+"]


def test_a_form_without_risk_values_is_refused_for_part_a_with_what_to_add() -> None:
    spec = load_form_text(
        "id: tiny\nversion: '1'\ntitle: Tiny\nsections:\n  - id: s\n    title: S\n    pages:\n"
        "      - id: p\n        title: P\n        questions:\n          - {id: q, type: text, label: Q}\n",
        "tiny.yaml",
    )
    vocabulary = vocabulary_of(spec)
    with pytest.raises(VocabularyError, match="marac_yes_threshold"):
        vocabulary.require_risk("Part A")
    assert vocabulary_for([spec, load_form(FORM_124D)]).top_grade == "high"


def test_bands_from_floors() -> None:
    assert [(b.label, b.key) for b in bands_from_floors("band", [0, 1, 10, 14])] == [
        ("0", "band_0"),
        ("1–9", "band_1_9"),
        ("10–13", "band_10_13"),
        ("14+", "band_14_plus"),
    ]
