"""The record PDF: content, reading order, markings, fonts, determinism, long and non-Latin text."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dsvdesk.export.fonts import markup
from dsvdesk.export.pdf import RecordComment, render_record_pdf
from tests.unit.export.conftest import (
    HISTORY,
    STATEMENT_SENTINEL,
    every_type_spec,
    full_answers,
    make_meta,
    page_count,
    pdf_text,
    run,
    tool,
)

SavePages = Callable[..., Path]


def render(answers: dict[str, Any] | None = None, **meta: Any) -> bytes:
    return render_record_pdf(
        every_type_spec(), full_answers() if answers is None else answers, make_meta(**meta), HISTORY
    )


@pytest.fixture(scope="module")
def complete_pdf(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("pdf") / "complete.pdf"
    path.write_bytes(render())
    return path


def squash(text: str) -> str:
    return re.sub(r"\s+", " ", text)


def test_answers_print_in_words_in_reading_order(complete_pdf: Path) -> None:
    text = squash(pdf_text(complete_pdf))
    for expected in (
        "Every Type Test Form",
        "Łukasz Żółć",
        "CAD1234",
        "05/01/2026",  # dates the UK way
        "21:40",
        "05/01/2026 21:45",
        "1.5",
        "High risk",  # choice label, not the raw value "high"
        "IDVA; Refuge",
        "Yes",
        "Don't know",
        "Not asked",
        "Comment: Suspect in the room",
    ):
        assert expected in text, expected
    body = text[text.index("Incident details") :]  # the summary box above also names question 1
    order = [
        body.index(s)
        for s in (
            "Victim's full name",
            "Has the current incident",
            "Are you very frightened",
            "Children and dependants",
            "Officer's statement",
        )
    ]
    assert order == sorted(order)


def test_hidden_questions_notes_and_unfilled_reviewer_sections_are_left_out(complete_pdf: Path) -> None:
    text = pdf_text(complete_pdf)
    assert "Why was the suspect present" not in text
    assert "STALEHIDDENANSWER" not in text
    assert "guidance, never printed" not in text
    assert "Reason for the grade" not in text


def test_reviewer_sections_print_when_meta_asks(tmp_path: Path) -> None:
    path = tmp_path / "r.pdf"
    path.write_bytes(render(include_reviewer_sections=True, status="approved", urn="01/2026/000123"))
    text = squash(pdf_text(path))
    assert "Supervisor review (completed by the supervisor)" in text
    assert "Reason for the grade" in text and "Agree with the officer." in text
    assert "URN 01/2026/000123" in text


def test_required_questions_left_empty_show_not_answered(tmp_path: Path) -> None:
    answers = full_answers()
    del answers["victim_name"], answers["statement"]
    answers["children"] = [{"dob": "2016-01-01"}]  # the child's required name is missing
    path = tmp_path / "missing.pdf"
    path.write_bytes(render(answers))
    text = pdf_text(path)
    assert text.count("NOT ANSWERED") == 3


def test_summary_box_evaluates_the_form_summary(complete_pdf: Path) -> None:
    page1 = squash(pdf_text(complete_pdf, page=1))
    assert "Summary" in page1
    assert "DASH 'yes' answers 1" in page1
    # a list of question ids is shown as their numbers and labels
    assert "Q1 Has the current incident resulted in injury?" in page1
    assert "Officer's grade High risk" in page1


def test_grid_prints_as_tick_table_and_repeat_as_table(complete_pdf: Path) -> None:
    text = pdf_text(complete_pdf)
    assert re.search(r"Being killed\s+✓", text)
    assert re.search(r"Being hurt\s+✓\s+✓", text)
    assert "Child01 Gwenllïan ap Dafydd" in text
    # six fields: printed item by item
    assert "Witness 1" in text and "Σωκράτης Παπαδόπουλος" in text and "Ffordd y Môr" in text


def test_history_block_lists_lifecycle(complete_pdf: Path) -> None:
    text = squash(pdf_text(complete_pdf))
    assert "History" in text
    assert "Created PC 1234 Łukasz Żółć 05/01/2026 22:00" in text
    assert "Submitted PC 1234 Łukasz Żółć 06/01/2026 09:55" in text


def test_marking_in_header_and_footer_of_every_page_with_page_numbers(tmp_path: Path) -> None:
    path = tmp_path / "long.pdf"
    path.write_bytes(render(full_answers(words=3000, children=30)))
    pages = page_count(path)
    assert pages >= 3
    for number in range(1, pages + 1):
        text = pdf_text(path, page=number)
        assert text.count("OFFICIAL-SENSITIVE") >= 2, number
        assert f"Page {number} of {pages}" in text


def test_marking_override_from_meta(tmp_path: Path) -> None:
    path = tmp_path / "secret.pdf"
    path.write_bytes(render(marking="OFFICIAL"))
    assert "OFFICIAL-SENSITIVE" not in pdf_text(path)


def test_user_text_cannot_inject_markup(tmp_path: Path) -> None:
    answers = full_answers()
    answers["victim_name"] = '<font name="Courier" size="40">X</font> & <b>'
    answers["statement"] = "</para><para>& &amp; <br/> <img src='/etc/passwd'/>"
    path = tmp_path / "markup.pdf"
    path.write_bytes(render(answers))
    text = pdf_text(path)
    assert '<font name="Courier" size="40">X</font> & <b>' in text
    assert "<img src='/etc/passwd'/>" in text
    assert "&amp;" in text


def test_markup_escapes_and_switches_cjk_runs() -> None:
    assert markup("a<b>&c") == "a&lt;b&gt;&amp;c"
    assert markup("x\ny") == "x<br/>y"
    assert markup("王 a") == '<font name="WenQuanYiMicroHei">王</font> a'
    assert markup("bell\x07tab\t") == "belltab "


def test_ten_thousand_word_statement_and_thirty_children(tmp_path: Path, save_pages: SavePages) -> None:
    data = render(full_answers(words=10_000, children=30))
    path = save_pages(data, "long_statement_30_children")
    text = pdf_text(path)
    assert page_count(path) > 10
    assert STATEMENT_SENTINEL in text
    assert "word9999" in text and "word5000" in text
    for i in range(1, 31):
        assert f"Child{i:02d}" in text


def test_non_latin_names_print(tmp_path: Path, save_pages: SavePages) -> None:
    names = {
        "polish": "Łukasz Żółć-Ślęzak",
        "welsh": "Gwenllïan ap Dafydd, Llŷr Ŵyn",
        "greek": "Σωκράτης Παπαδόπουλος",
        "cyrillic": "Дмитрий Иванов",
        "chinese": "王小明",
    }
    answers = full_answers()
    answers["victim_name"] = " / ".join(names.values())
    answers["witnesses"][0]["name"] = "محمد عبدالله"
    path = save_pages(render(answers), "non_latin_names", first=1, last=2)
    text = pdf_text(path)
    for name in names.values():
        assert name in text
    # reportlab does not shape Arabic (letters print unjoined); every letter is still there
    assert all(letter in text for letter in "محمدعبدالله")


def test_every_font_is_embedded(complete_pdf: Path, tmp_path: Path) -> None:
    answers = full_answers()
    answers["victim_name"] = "王小明 Łukasz"
    path = tmp_path / "fonts.pdf"
    path.write_bytes(render(answers))
    for pdf in (complete_pdf, path):
        result = run([tool("pdffonts"), str(pdf)])
        rows = result.stdout.splitlines()[2:]
        assert rows, result.stdout
        for row in rows:
            assert re.search(r"\byes\s+yes\s+yes\b", row), f"not embedded: {row}"
            assert "Helvetica" not in row and "Times" not in row and "Courier" not in row
    assert "WenQuanYiMicroHei" in run([tool("pdffonts"), str(path)]).stdout


def test_same_record_same_time_gives_identical_bytes() -> None:
    first = render()
    assert render() == first
    later = render(document_date=datetime(2026, 1, 7, 10, 0, tzinfo=UTC))
    assert later != first
    assert b"D:20260106100000" in first


def test_signature_boxes_on_last_page(complete_pdf: Path, save_pages: SavePages) -> None:
    pages = page_count(complete_pdf)
    last = squash(pdf_text(complete_pdf, page=pages))
    assert "Officer signature" in last and "Supervisor signature" not in last
    assert "Supervisor's approval: a separate document" in last  # the approved document attaches this one
    save_pages(complete_pdf.read_bytes(), "every_type")


def test_comments_print_beside_questions_and_in_history(tmp_path: Path) -> None:
    comments = [
        RecordComment(
            "PS 4411 Ann Jones", datetime(2026, 1, 6, 11, 0), "Ask about strangulation", question_id="q2"
        ),
        RecordComment("PS 4411 Ann Jones", datetime(2026, 1, 6, 11, 5), "Returned for more detail"),
    ]
    data = render_record_pdf(every_type_spec(), full_answers(), make_meta(), HISTORY, comments=comments)
    path = tmp_path / "comments.pdf"
    path.write_bytes(data)
    text = squash(pdf_text(path))
    assert "Reviewer comment (PS 4411 Ann Jones, 06/01/2026 11:00): Ask about strangulation" in text
    assert "Returned for more detail" in text


def test_empty_record_renders() -> None:
    data = render({})
    assert data.startswith(b"%PDF-")


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(name=st.text(max_size=300), statement=st.text(max_size=3000))
def test_any_text_renders_without_error(name: str, statement: str) -> None:
    answers = full_answers()
    answers["victim_name"] = name
    answers["statement"] = statement
    assert render(answers).startswith(b"%PDF-")


def test_repeat_fields_follow_their_show_when_and_required_when(tmp_path: Path) -> None:
    from dsvdesk.engine.loader import load_form_text

    spec = load_form_text(
        """\
id: kids
version: "1"
title: Kids
sections:
  - id: s
    title: S
    pages:
      - id: p
        title: P
        questions:
          - id: children
            type: repeat
            label: Children
            item_label: Child
            fields:
              - {id: name, type: text, label: Name, required: true}
              - {id: injured, type: yesno, label: Injured}
              - {id: injuries, type: text, label: The child's injuries, show_when: "injured == 'yes'"}
              - {id: school, type: text, label: School}
              - {id: gp, type: text, label: GP}
              - {id: merlin, type: text, label: Merlin reference, required_when: "injured == 'yes'"}
""",
        "kids.yaml",
    )
    answers = {
        "children": [
            {"name": "Amy", "injured": "no", "injuries": "STALEHIDDEN", "school": "Grafton"},
            {"name": "Ben", "injured": "yes", "injuries": "Cut to the hand"},
        ]
    }
    path = tmp_path / "kids.pdf"
    path.write_bytes(render_record_pdf(spec, answers, make_meta(), []))
    text = squash(pdf_text(path))
    assert "STALEHIDDEN" not in text
    assert "Cut to the hand" in text
    assert text.count("The child's injuries") == 1  # only Ben's item shows the field
    assert text.count("NOT ANSWERED") == 1  # Ben's Merlin reference, required because he is injured
