"""Every script a London victim's name is written in prints, shaped, and extracts as typed (issue 21)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dsvdesk.export import fonts
from dsvdesk.export.pdf import render_record_pdf
from tests.unit.export.conftest import HISTORY, every_type_spec, full_answers, make_meta, run, tool
from tests.unit.export.scripts import NAMES, NARRATIVE, squeeze


def scripts_answers() -> dict[str, Any]:
    answers = full_answers(words=40, children=0)
    answers["victim_name"] = NAMES["Bengali"]
    answers["children"] = [
        {"name": name, "dob": "2015-03-01", "present": "yes"}
        for script, name in NAMES.items()
        if script != "Bengali"
    ]
    answers["statement"] = "\n\n".join(f"{script}: {text}" for script, text in NARRATIVE.items())
    return answers


@pytest.fixture(scope="module")
def scripts_pdf(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("scripts") / "scripts.pdf"
    path.write_bytes(
        render_record_pdf(every_type_spec(), scripts_answers(), make_meta(officer="PC 1 রহিমা খাতুন"), HISTORY)
    )
    return path


def extracted(pdf: Path) -> str:
    result = run([tool("pdftotext"), str(pdf), "-"])  # reading order, not -layout (columns would interleave)
    assert result.returncode == 0, result.stderr
    return squeeze(result.stdout)


@pytest.mark.parametrize("script", list(NAMES))
def test_each_name_extracts_as_typed(scripts_pdf: Path, script: str) -> None:
    assert squeeze(NAMES[script]) in extracted(scripts_pdf), script


@pytest.mark.parametrize("script", list(NARRATIVE))
def test_each_narrative_sentence_extracts_as_typed(scripts_pdf: Path, script: str) -> None:
    assert squeeze(f"{script}: {NARRATIVE[script]}") in extracted(scripts_pdf), script


def test_every_font_is_embedded_and_each_script_has_its_face(scripts_pdf: Path) -> None:
    result = run([tool("pdffonts"), str(scripts_pdf)])
    assert result.returncode == 0, result.stderr
    rows = [line.split() for line in result.stdout.splitlines()[2:]]
    names = {row[0].split("+", 1)[-1] for row in rows}
    assert all(row[-5] == "yes" for row in rows), result.stdout  # the "emb" column
    for face in fonts.SCRIPTS:
        assert face.regular in names, (face.key, result.stdout)
    assert fonts.CJK in names
    assert not any(n.startswith(("Helvetica", "Times", "Courier")) for n in names), result.stdout


def test_complex_scripts_are_shaped_and_the_pdf_is_clean(scripts_pdf: Path, tmp_path: Path) -> None:
    # Shaped text is wrapped in /ActualText spans (what extractors read); unshaped text would not be.
    plain = tmp_path / "plain.pdf"
    result = run([tool("qpdf"), "--qdf", "--object-streams=disable", str(scripts_pdf), str(plain)])
    assert result.returncode == 0, result.stderr
    assert b"/ActualText" in plain.read_bytes()
    check = run([tool("qpdf"), "--check", str(scripts_pdf)])
    assert check.returncode == 0 and "No syntax or stream encoding errors" in check.stdout, check.stdout


def test_markup_keeps_words_in_one_face_and_joins_right_to_left_words() -> None:
    bengali = fonts.SCRIPTS[0]
    arabic = next(f for f in fonts.SCRIPTS if f.rtl)
    # punctuation inside a Bengali word stays in the Bengali face (one shaped unit)
    assert fonts.markup("(রহিমা)") == f'<font name="{bengali.regular}">(রহিমা)</font>'
    # a bold paragraph gets the bold face of the script
    assert f'name="{bengali.bold}"' in fonts.markup("রহিমা", bold=True)
    # words of a right-to-left run are one unit (no-break spaces), Latin around it stays in the base face
    assert fonts.markup("Victim محمد علي end") == (
        f'Victim <font name="{arabic.regular}">محمد\u00a0علي</font> end'
    )
    assert fonts.markup("عائشہ")  # the Urdu letter heh goal is in the Arabic face
    assert fonts.needs_shaping("ਹਰਪ੍ਰੀਤ") and not fonts.needs_shaping("Łucja 王")


def test_shipped_fonts_are_present_and_cover_their_scripts() -> None:
    from fontTools.ttLib import TTFont

    for file_name in fonts.shipped_font_files():
        assert fonts.font_path(file_name).is_file(), file_name
    cmap = TTFont(str(fonts.font_path("NotoSansArabic-Regular.ttf"))).getBestCmap()
    assert all(ord(c) in cmap for c in "ہےۓڑٹںھ"), "Urdu letters missing"


def test_scripts_page_png(scripts_pdf: Path, save_pages: Callable[..., Path]) -> None:
    save_pages(scripts_pdf.read_bytes(), "record_scripts")


# ------------------------------------------------------------------------------- the real 124D
def real_124d_answers() -> dict[str, Any]:
    first, surname = NAMES["Bengali"].split(" ", 1)
    return {
        "victim_first_name": first,
        "victim_surname": surname,
        "suspect_first_name": NAMES["Urdu"].split(" ", 1)[0],
        "suspect_surname": NAMES["Urdu"].split(" ", 1)[1],
        "has_children": "yes",
        "children": [
            {"name": name, "sex": "female", "dob": "2015-03-01", "resident": "yes"}
            for script, name in NAMES.items()
            if script not in ("Bengali", "Urdu")
        ],
        "officer_grade": "medium",
        "grade_rationale": "\n\n".join(f"{script}: {text}" for script, text in NARRATIVE.items()),
    }


@pytest.fixture(scope="module")
def real_124d_pdf(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from dsvdesk import paths
    from dsvdesk.engine.loader import load_form

    spec = load_form(paths.forms_dir() / "124d.yaml")
    meta = make_meta(form_title=spec.title, form_version=spec.version, officer="PC 1 Ayşe Yıldırım")
    path = tmp_path_factory.mktemp("real124d") / "124d_scripts.pdf"
    path.write_bytes(render_record_pdf(spec, real_124d_answers(), meta, HISTORY))
    return path


def test_a_real_124d_prints_every_script_as_typed(
    real_124d_pdf: Path, save_pages: Callable[..., Path]
) -> None:
    text = extracted(real_124d_pdf)
    for script, name in NAMES.items():
        assert squeeze(name) in text, script
    for script, sentence in NARRATIVE.items():
        assert squeeze(f"{script}: {sentence}") in text, script
    save_pages(real_124d_pdf.read_bytes(), "124d_scripts")


def test_computed_codes_print_as_labels(real_124d_pdf: Path) -> None:
    # effective_grade is computed from the grade questions: it prints their label, never the code
    assert squeeze("Risk grade (the supervisor's if they have set one) Medium") in extracted(real_124d_pdf)
    result = run([tool("pdftotext"), str(real_124d_pdf), "-"])
    assert "medium" not in result.stdout.split(), "a raw grade code printed"


@pytest.mark.parametrize(
    "typed", ["Rahima/রহিমা খাতুন", "Khatun-খাতুন", "ਕੌਰ,Kaur", "王(Wang)秀英", "عائشہ-Ayesha"]
)
def test_a_word_mixing_scripts_prints_and_extracts(typed: str, tmp_path: Path) -> None:
    # reportlab shapes a word with the font of its first letter; a word that switches script mid-way
    # (no space) used to fail the whole PDF
    answers = full_answers(words=10, children=0)
    answers["victim_name"] = typed
    path = tmp_path / "mixed.pdf"
    path.write_bytes(render_record_pdf(every_type_spec(), answers, make_meta(), HISTORY))
    if typed.startswith("عائشہ"):
        assert squeeze("عائشہ") in extracted(path) and "Ayesha" in extracted(path)
    else:
        assert squeeze(typed) in extracted(path)


_ALPHABET = "".join(
    sorted(set("".join(NAMES.values()) + "".join(NARRATIVE.values()) + " ()/-,.'&<>\n\u200c\u200d0123"))
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(alphabet=_ALPHABET, max_size=60))
def test_any_mix_of_scripts_lays_out(text: str) -> None:
    """Whatever an officer types, in whatever mix of scripts and punctuation, the paragraph lays out and
    draws (the PDF never fails because of a name)."""
    from io import BytesIO

    from reportlab.lib.styles import ParagraphStyle
    from reportlab.platypus import SimpleDocTemplate

    from dsvdesk.export.shaping import ShapingCanvas

    fonts.register_fonts()
    styles = [
        ParagraphStyle("body", fontName=fonts.REGULAR, fontSize=9, leading=12),
        ParagraphStyle("bold", fontName=fonts.BOLD, fontSize=9, leading=12),
    ]
    story = [fonts.paragraph(text, style) for style in styles]
    SimpleDocTemplate(BytesIO(), initialFontName=fonts.REGULAR).build(story, canvasmaker=ShapingCanvas)


def test_a_signer_named_in_bengali_gets_a_stamp_that_can_print_it(station_pki: Any, tmp_path: Path) -> None:
    from dsvdesk.export import signing
    from dsvdesk.export.verify import verify_pdf

    assert fonts.stamp_font_path(NAMES["Bengali"]).name == fonts.STAMP_SCRIPTS_FILE
    assert fonts.stamp_font_path(NAMES["Chinese"]).name == fonts.CJK_FILE
    assert fonts.stamp_font_path(NAMES["Polish"]).name == fonts.STAMP_FILE
    identity = station_pki.identity(NAMES["Bengali"], "rkhatun", "5678", "officer")
    pdf = render_record_pdf(every_type_spec(), full_answers(words=10, children=0), make_meta(), HISTORY)
    signed = signing.sign_pdf(
        signing.prepare_signature_fields(pdf, fields=(signing.OFFICER_FIELD,)),
        identity,
        field=signing.OFFICER_FIELD,
        reason=signing.SUBMIT_REASON,
        location="Aberystwyth",
        stamp_lines=[NAMES["Bengali"], "Collar number: 5678"],
    )
    path = tmp_path / "stamp.pdf"
    path.write_bytes(signed)
    listed = run([tool("pdffonts"), str(path)]).stdout
    assert "DSVDeskStampSans" in listed, listed
    (check,) = verify_pdf(signed, [station_pki.ca]).signatures
    assert check.ok and check.signer == NAMES["Bengali"]
