"""Training: the docstring's worked example, refused answers naming the question, refused
exam definitions naming the field, attempts and certificate eligibility."""

from collections.abc import Collection, Mapping
from dataclasses import replace
from decimal import Decimal

import pytest

from domain.training import (
    AttemptsExhausted,
    Exam,
    ExamDefinitionError,
    InvalidAnswer,
    Question,
    QuestionKind,
    UnknownQuestion,
    certificate_eligibility,
    check_attempt_allowed,
    grade,
    validate_exam,
)

SINGLE, MULTIPLE = QuestionKind.SINGLE, QuestionKind.MULTIPLE
Q1 = Question("q1", SINGLE, ("a", "b", "c"), frozenset({"b"}), 1)
Q2 = Question("q2", MULTIPLE, ("a", "b", "c", "d"), frozenset({"a", "c"}), 2)
Q3 = Question("q3", SINGLE, ("yes", "no"), frozenset({"yes"}), 2)
EXAM = Exam("exam-1", (Q1, Q2, Q3), Decimal("0.6"), max_attempts=3)


@pytest.mark.parametrize(
    ("answers", "score", "percent", "passed"),
    [
        ({"q1": ["b"], "q2": ["a", "c"], "q3": ["yes"]}, 5, Decimal(1), True),
        ({"q1": ["b"], "q2": ["a"], "q3": ["yes"]}, 3, Decimal("0.6"), True),
        ({"q1": ["a"], "q2": ["a", "c", "d"], "q3": ["yes"]}, 2, Decimal("0.4"), False),
        ({}, 0, Decimal(0), False),
        ({"q1": [], "q3": ["yes"]}, 2, Decimal("0.4"), False),
    ],
)
def test_worked_example(
    answers: Mapping[str, Collection[str]], score: int, percent: Decimal, passed: bool
) -> None:
    result = grade(EXAM, answers)
    assert (result.score, result.max_score, result.percent, result.passed) == (
        score,
        5,
        percent,
        passed,
    )
    assert [r.question_id for r in result.results] == ["q1", "q2", "q3"]
    assert sum(r.points for r in result.results) == score


def test_multiple_choice_is_all_or_nothing() -> None:
    everything = grade(EXAM, {"q2": ["a", "b", "c", "d"]})
    assert everything.results[1].correct is False
    assert everything.score == 0
    exact = grade(EXAM, {"q2": ("c", "a")})
    assert exact.results[1].correct is True
    assert exact.score == 2


def test_one_point_under_the_mark_fails() -> None:
    exam = replace(EXAM, pass_mark=Decimal("0.61"))
    assert grade(exam, {"q1": ["b"], "q2": ["a"], "q3": ["yes"]}).passed is False


def test_answer_to_a_question_not_in_the_exam_names_it() -> None:
    with pytest.raises(UnknownQuestion) as caught:
        grade(EXAM, {"q1": ["b"], "q4": ["a"]})
    assert caught.value.question_id == "q4"
    assert "q4" in str(caught.value)


def test_several_options_for_single_choice_are_refused() -> None:
    with pytest.raises(InvalidAnswer) as caught:
        grade(EXAM, {"q1": ["a", "b"]})
    assert caught.value.question_id == "q1"


def test_option_not_offered_is_refused_naming_it() -> None:
    with pytest.raises(InvalidAnswer) as caught:
        grade(EXAM, {"q2": ["a", "z"]})
    assert caught.value.question_id == "q2"
    assert "z" in caught.value.message


@pytest.mark.parametrize(
    ("exam", "field"),
    [
        (replace(EXAM, questions=()), "questions"),
        (replace(EXAM, pass_mark=Decimal("1.01")), "pass_mark"),
        (replace(EXAM, pass_mark=Decimal("-0.1")), "pass_mark"),
        (replace(EXAM, max_attempts=0), "max_attempts"),
        (replace(EXAM, questions=(Q1, Q1)), "questions[1].id"),
        (replace(EXAM, questions=(replace(Q1, options=("a", "a", "b")),)), "questions[0].options"),
        (replace(EXAM, questions=(replace(Q1, correct=frozenset({"x"})),)), "questions[0].correct"),
        (
            replace(EXAM, questions=(replace(Q1, correct=frozenset({"a", "b"})),)),
            "questions[0].correct",
        ),
        (replace(EXAM, questions=(replace(Q2, correct=frozenset()),)), "questions[0].correct"),
        (replace(EXAM, questions=(Q1, replace(Q3, points=0))), "questions[1].points"),
    ],
)
def test_refused_exam_definitions_name_the_field(exam: Exam, field: str) -> None:
    with pytest.raises(ExamDefinitionError) as caught:
        validate_exam(exam)
    assert caught.value.field == field


def test_attempts_are_limited() -> None:
    check_attempt_allowed(EXAM, 2)
    with pytest.raises(AttemptsExhausted) as caught:
        check_attempt_allowed(EXAM, 3)
    assert caught.value.max_attempts == 3
    check_attempt_allowed(replace(EXAM, max_attempts=None), 1000)


def test_certificate_eligibility_lists_missing_exams() -> None:
    due = certificate_eligibility(["e1", "e2"], ["e2", "e1", "e9"])
    assert due.eligible is True
    assert due.missing_exam_ids == ()
    not_yet = certificate_eligibility(["e3", "e1", "e2"], ["e2"])
    assert not_yet.eligible is False
    assert not_yet.missing_exam_ids == ("e1", "e3")
