"""Scoring and its explanations: pure functions, on real-looking CVs in English and Portuguese."""

from __future__ import annotations

from datetime import date

import pytest

from portal.services.recruiting import scoring
from tests.recruiting.cvs import CV_EN, CV_PT, CV_WEAK, REQUIREMENTS

TODAY = date(2026, 11, 27)


def test_portuguese_cv_matches_must_haves_with_synonyms_and_snippets():
    result = scoring.score_cv(CV_PT, REQUIREMENTS, 3, today=TODAY)
    names = {m["name"]: m for m in result["must"]}
    assert set(names) == {"Conciliação bancária", "Excel", "Contas a pagar"}
    assert names["Excel"]["matched"] == "planilhas"
    assert "planilhas avançadas" in names["Excel"]["snippet"]
    assert result["missing"] == []
    assert result["locale"] == "pt_BR"


def test_english_cv_matches_through_synonyms():
    result = scoring.score_cv(CV_EN, REQUIREMENTS, 3, today=TODAY)
    names = {m["name"]: m["matched"] for m in result["must"]}
    assert names == {
        "Conciliação bancária": "bank reconciliation",
        "Excel": "Excel",
        "Contas a pagar": "accounts payable",
    }
    nice = {m["name"] for m in result["nice"]}
    assert nice == {"SAP", "SQL"}
    assert result["nice_missing"] == ["Inglês"]
    assert result["locale"] == "en"


def test_missing_must_haves_are_listed_and_lower_the_score():
    weak = scoring.score_cv(CV_WEAK, REQUIREMENTS, 3, today=TODAY)
    strong = scoring.score_cv(CV_PT, REQUIREMENTS, 3, today=TODAY)
    assert set(weak["missing"]) == {"Conciliação bancária", "Excel", "Contas a pagar"}
    assert weak["score"] < strong["score"]
    assert scoring.missing_key(weak["missing"]) == "|conciliacao bancaria|excel|contas a pagar|"


def test_accent_insensitive_both_ways():
    reqs = [{"name": "Gestao de estoque", "kind": "must"}, {"name": "Logística", "kind": "must"}]
    result = scoring.score_cv("Gestão de Estoque e logistica reversa", reqs, today=TODAY)
    assert result["missing"] == []
    assert result["must"][0]["snippet"].startswith("Gestão de Estoque")


def test_whole_words_only():
    reqs = [{"name": "SQL", "kind": "must"}, {"name": "C++", "kind": "must"}]
    result = scoring.score_cv("NoSQLish databases; C and C#", reqs, today=TODAY)
    assert set(result["missing"]) == {"SQL", "C++"}
    assert scoring.score_cv("Skills: C++, SQL.", reqs, today=TODAY)["missing"] == []


@pytest.mark.parametrize(
    ("text", "years"),
    [
        ("Analista, 01/03/2019 - atual", 7.8),  # dd/mm/aaaa to "atual"
        ("Dev 05/2016 – 02/2019", 2.8),  # mm/aaaa
        ("Jan 2018 - present", 8.9),
        ("2016 - 2019", 4.0),  # bare years: whole years
        ("março de 2010 a junho de 2010", 0.3),
        ("Job A 2015 - 2018; Job B 2017 - 2019", 5.0),  # overlap counted once
        ("No dates at all", 0.0),
    ],
)
def test_years_of_experience(text, years):
    got, ranges = scoring.estimate_years(scoring.FoldedText.of(text), TODAY)
    assert got == pytest.approx(years, abs=0.1)
    assert bool(ranges) == bool(years)


def test_experience_explanation_lists_each_period():
    result = scoring.score_cv(CV_PT, REQUIREMENTS, 3, today=TODAY)
    periods = [(r["from"], r["to"]) for r in result["ranges"]]
    assert ("03/2019", "11/2026") in periods
    assert ("05/2016", "02/2019") in periods
    assert result["years"] >= 10  # 2012 - atual, overlaps merged
    assert result["points"]["years"] > 0


def test_weights_of_nice_to_haves():
    reqs = [
        {"name": "Python", "kind": "must"},
        {"name": "Django", "kind": "nice", "weight": 5},
        {"name": "Flask", "kind": "nice", "weight": 1},
    ]
    django = scoring.score_cv("Python and Django", reqs, today=TODAY)["score"]
    flask = scoring.score_cv("Python and Flask", reqs, today=TODAY)["score"]
    assert django > flask


def test_requirements_are_normalised():
    reqs = scoring.normalise_requirements(
        [{"name": "  Excel ", "synonyms": ["excel", "Planilhas", "planilhas"], "weight": 9}, {}]
    )
    assert reqs == [{"name": "Excel", "synonyms": ["Planilhas"], "kind": "nice", "weight": 5}]


def test_redaction_hides_contacts_age_gender_and_name():
    text = (
        "Maria Souza, 34 anos, feminino, casada. maria@x.com +55 11 98765-4321 "
        "Data de nascimento: 01/02/1990"
    )
    out = scoring.redact(text, "Maria Souza")
    for cue in ("Maria", "Souza", "34 anos", "feminino", "casada", "maria@x.com", "98765", "1990"):
        assert cue not in out


def test_locale_detection():
    assert scoring.detect_locale(CV_PT) == "pt_BR"
    assert scoring.detect_locale(CV_EN) == "en"


def test_education_dates_are_not_experience():
    text = "Experience\nAnalyst 2020 - 2021\nEducation\nBSc 2010 - 2014\nSkills\nExcel"
    years, ranges = scoring.estimate_years(scoring.FoldedText.of(text), TODAY)
    assert years == 2.0
    assert [r["from"] for r in ranges] == ["01/2020"]
    pt = "Formação acadêmica:\nContábeis, 2012 - 2015\nExperiência\nAnalista 2019 - atual"
    years, ranges = scoring.estimate_years(scoring.FoldedText.of(pt), TODAY)
    assert [r["from"] for r in ranges] == ["01/2019"]


def test_redaction_searches_only_possible_cues_with_the_same_result():
    """``redact`` leaves out the alternatives a text lacks the words for; the result must be
    what the whole alternation gives, including for characters that match Latin letters in
    any case (İ ı ſ K)."""
    import random
    import re

    whole = re.compile("|".join(f"(?:{c})" for c in scoring._CUES), re.IGNORECASE)
    pieces = [
        "ana@x.com.br", "+55 11 98765-4321", "(11) 3333-4444", "34 anos", "34 anos de idade",
        "29 years old", "1 year old", "Idade: 34", "SEXO: F", "ſexo: m", "İdade: 3", "ıdade 3",
        "gênero: x", "Genero x", "estado civil: casada", "Marital Status: single",
        "Data de nascimento: 01/02/1990", "DATE OF BIRTH 1990", "nascida em Recife",
        "born in 1990", "Born on 3/4", "masculino", "FEMININO", "Male", "female", "Casado",
        "solteira", "MARRIED", "ſingle", "divorced", "managed", "package", "12", "K",
        "Responsável por Excel", "conciliação", "—", "…", "\n", "x@y", "1.234.567-89",
    ]  # fmt: skip
    rng = random.Random(7)
    for _ in range(3000):
        text = " ".join(rng.choice(pieces) for _ in range(rng.randint(0, 6)))
        if rng.random() < 0.3:
            text = text.replace(" ", rng.choice(["", "-", ".", ":", "  "]))
        assert scoring.redact(text) == whole.sub("▇▇▇", text), text


def test_redaction_hides_every_part_of_the_name_in_any_case():
    redact = scoring.redactor("Ana Ana-Maria de Souza")
    out = redact("ANA-MARIA souza e ana; Souzas e Anabela")
    assert out == "▇▇▇ ▇▇▇ e ▇▇▇; Souzas e Anabela"
    assert scoring.redact("de x", "de") == "de x"  # parts of two letters are kept


def test_name_redaction_skips_the_pattern_only_when_it_cannot_match():
    """The substring test that spares the name's pattern must never miss what the pattern,
    any case, would hide (dotted/dotless i, long s, Greek final sigma, Cyrillic old forms)."""
    import random
    import re

    names = ["Işıl Yılmaz", "İsmail Şahin", "Sofia Souza", "Σοφία Παπαδοπούλου", "Василий Котов",
             "José Conceição", "Ærø Østergård", "Ana-Maria O'Connor", "µller Strauß"]  # fmt: skip
    variants = ["ISIL", "işil", "ismaıl", "ſofia", "SOUZA", "σοφιας", "ΣΟΦΊΑ", "ᲀасилий", "КОТОВ",
                "JOSÉ", "conceiçao", "ærø", "ØSTERGÅRD", "ana-maria", "o'connor", "μller",
                "STRAUSS", "strauß", "Excel", "conciliação"]  # fmt: skip
    rng = random.Random(3)
    for name in names:
        parts = sorted({p for p in name.split() if len(p) > 2}, key=len, reverse=True)
        whole = re.compile(r"\b(?:" + "|".join(map(re.escape, parts)) + r")\b", re.IGNORECASE)
        redact = scoring.redactor(name)
        for _ in range(300):
            text = " ".join(rng.choice(variants + parts) for _ in range(rng.randint(0, 5)))
            assert redact(text) == whole.sub("▇▇▇", scoring.redact(text)), (name, text)
