"""Training exams: grading single- and multiple-choice answers, the pass mark, certificates.

Interface (others call these names)::

    class QuestionKind(StrEnum): SINGLE, MULTIPLE
    Question(id: str, kind, options: tuple[str, ...], correct: frozenset[str], points=1)
    Exam(id: str, questions: tuple[Question, ...], pass_mark: Decimal, max_attempts=None)
    validate_exam(exam) -> None                  # raises ExamDefinitionError(field, message)
    grade(exam, answers: Mapping[str, Collection[str]]) -> Grade
    check_attempt_allowed(exam, attempts_used: int) -> None     # raises AttemptsExhausted
    certificate_eligibility(required_exam_ids, passed_exam_ids) -> Eligibility

Exception tree::

    TrainingError                          a ValueError; the base of those below
    ├── ExamDefinitionError(field, message)  an exam that cannot be graded (no questions, a
    │                                          correct option not offered, a pass mark
    │                                          outside 0–1, duplicate question ids)
    ├── UnknownQuestion(question_id)         an answer to a question not in the exam
    ├── InvalidAnswer(question_id, message)  an option not offered, or several options
    │                                          chosen for a single-choice question
    └── AttemptsExhausted(exam_id, max_attempts)

Grading rules:

- A single-choice question is right when exactly its one correct option is chosen.
- A multiple-choice question is all or nothing: right when the chosen set equals the correct
  set (no partial credit: guessing every option earns nothing).
- An unanswered question (missing, or an empty selection) scores 0; it is not an error.
- ``score`` is the points of the right answers, ``percent`` is ``score / max_score`` as a
  fraction (unrounded Decimal), and the attempt passes when ``percent >= pass_mark``
  (reaching the mark exactly passes).
- A course certificate is due when every exam the course requires has a passed attempt.

Worked example. Exam with pass mark ``0.6``: q1 single (a, b, c; correct b; 1 point), q2
multiple (a, b, c, d; correct a, c; 2 points), q3 single (yes, no; correct yes; 2 points);
max score 5.

===========================================  =====  =======  ======
answers                                      score  percent  passed
===========================================  =====  =======  ======
q1 b, q2 {a, c}, q3 yes                      5      1        yes
q1 b, q2 {a}, q3 yes                         3      0.6      yes (exactly the mark)
q1 a, q2 {a, c, d}, q3 yes                   2      0.4      no
(nothing)                                    0      0        no
q4 a                                         UnknownQuestion("q4")
q1 {a, b}                                    InvalidAnswer("q1", "… one option …")
===========================================  =====  =======  ======
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

__all__ = [
    "AttemptsExhausted",
    "Eligibility",
    "Exam",
    "ExamDefinitionError",
    "Grade",
    "InvalidAnswer",
    "Question",
    "QuestionKind",
    "QuestionResult",
    "TrainingError",
    "UnknownQuestion",
    "certificate_eligibility",
    "check_attempt_allowed",
    "grade",
    "validate_exam",
]


class TrainingError(ValueError):
    """Base of the training errors."""


class ExamDefinitionError(TrainingError):
    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


class UnknownQuestion(TrainingError):
    def __init__(self, question_id: str) -> None:
        super().__init__(f"question {question_id!r} is not in this exam")
        self.question_id = question_id


class InvalidAnswer(TrainingError):
    def __init__(self, question_id: str, message: str) -> None:
        super().__init__(f"question {question_id!r}: {message}")
        self.question_id = question_id
        self.message = message


class AttemptsExhausted(TrainingError):
    def __init__(self, exam_id: str, max_attempts: int) -> None:
        super().__init__(f"exam {exam_id!r} allows {max_attempts} attempts; none is left")
        self.exam_id = exam_id
        self.max_attempts = max_attempts


class QuestionKind(StrEnum):
    SINGLE = "SINGLE"
    MULTIPLE = "MULTIPLE"


@dataclass(frozen=True)
class Question:
    id: str
    kind: QuestionKind
    options: tuple[str, ...]
    correct: frozenset[str]
    points: int = 1


@dataclass(frozen=True)
class Exam:
    id: str
    questions: tuple[Question, ...]
    pass_mark: Decimal
    max_attempts: int | None = None


@dataclass(frozen=True)
class QuestionResult:
    question_id: str
    correct: bool
    points: int


@dataclass(frozen=True)
class Grade:
    score: int
    max_score: int
    percent: Decimal
    passed: bool
    results: tuple[QuestionResult, ...]


@dataclass(frozen=True)
class Eligibility:
    eligible: bool
    missing_exam_ids: tuple[str, ...]


def validate_exam(exam: Exam) -> None:
    """Refuse an exam that cannot be graded, naming the field."""
    if not exam.questions:
        raise ExamDefinitionError("questions", "an exam needs at least one question")
    if not exam.pass_mark.is_finite() or not Decimal(0) <= exam.pass_mark <= Decimal(1):
        raise ExamDefinitionError("pass_mark", "must be a fraction between 0 and 1")
    if exam.max_attempts is not None and exam.max_attempts < 1:
        raise ExamDefinitionError("max_attempts", "must be at least 1 when given")
    seen: set[str] = set()
    for index, question in enumerate(exam.questions):
        where = f"questions[{index}]"
        if question.id in seen:
            raise ExamDefinitionError(f"{where}.id", f"duplicate question id {question.id!r}")
        seen.add(question.id)
        if len(set(question.options)) != len(question.options) or not question.options:
            raise ExamDefinitionError(f"{where}.options", "options must be distinct, at least one")
        if not question.correct or not question.correct <= set(question.options):
            raise ExamDefinitionError(f"{where}.correct", "correct options must be offered ones")
        if question.kind is QuestionKind.SINGLE and len(question.correct) != 1:
            raise ExamDefinitionError(f"{where}.correct", "a single-choice question has one")
        if question.points < 1:
            raise ExamDefinitionError(f"{where}.points", "must be at least 1")


def grade(exam: Exam, answers: Mapping[str, Collection[str]]) -> Grade:
    """Grade one attempt; refuses answers to unknown questions or with options not offered."""
    validate_exam(exam)
    by_id = {question.id: question for question in exam.questions}
    for question_id in sorted(answers):
        question = by_id.get(question_id)
        if question is None:
            raise UnknownQuestion(question_id)
        chosen = set(answers[question_id])
        not_offered = sorted(chosen - set(question.options))
        if not_offered:
            raise InvalidAnswer(question_id, f"options not offered: {', '.join(not_offered)}")
        if question.kind is QuestionKind.SINGLE and len(chosen) > 1:
            raise InvalidAnswer(question_id, "a single-choice question takes one option")
    results = []
    for question in exam.questions:
        chosen = set(answers.get(question.id, ()))
        right = bool(chosen) and chosen == question.correct
        results.append(QuestionResult(question.id, right, question.points if right else 0))
    score = sum(result.points for result in results)
    max_score = sum(question.points for question in exam.questions)
    percent = Decimal(score) / Decimal(max_score)
    return Grade(score, max_score, percent, percent >= exam.pass_mark, tuple(results))


def check_attempt_allowed(exam: Exam, attempts_used: int) -> None:
    """Refuse a new attempt when the exam's attempts are used up."""
    if exam.max_attempts is not None and attempts_used >= exam.max_attempts:
        raise AttemptsExhausted(exam.id, exam.max_attempts)


def certificate_eligibility(
    required_exam_ids: Collection[str], passed_exam_ids: Collection[str]
) -> Eligibility:
    """A certificate is due when every required exam has a passed attempt."""
    passed = set(passed_exam_ids)
    missing = tuple(sorted(set(required_exam_ids) - passed))
    return Eligibility(eligible=not missing, missing_exam_ids=missing)
