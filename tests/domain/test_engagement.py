"""Market feedback: every allowed and refused status move, refused reports naming the field."""

import pytest

from domain.engagement import (
    FeedbackError,
    FeedbackStatus,
    FeedbackTransitionError,
    next_status,
    validate_feedback,
)

S = FeedbackStatus
ALLOWED = {
    (S.NEW, S.IN_REVIEW),
    (S.NEW, S.DISMISSED),
    (S.IN_REVIEW, S.RESOLVED),
    (S.IN_REVIEW, S.DISMISSED),
}


@pytest.mark.parametrize("current", list(S))
@pytest.mark.parametrize("target", list(S))
def test_every_move(current: FeedbackStatus, target: FeedbackStatus) -> None:
    if (current, target) in ALLOWED:
        assert next_status(current, target) is target
    else:
        with pytest.raises(FeedbackTransitionError) as caught:
            next_status(current, target)
        assert (caught.value.current, caught.value.target, caught.value.field) == (
            current,
            target,
            "status",
        )


def test_valid_feedback_passes() -> None:
    validate_feedback("COMPETITOR", "Rival cut prices 10 %", ["photos/1.jpg"])
    validate_feedback("OTHER", "x", [])


@pytest.mark.parametrize(
    ("category", "text", "photos", "field"),
    [
        ("GOSSIP", "x", [], "category"),
        ("PRICE", "   ", [], "text"),
        ("PRICE", "x" * 4001, [], "text"),
        ("PRICE", "x", ["p"] * 11, "photo_refs"),
        ("PRICE", "x", ["ok", " "], "photo_refs"),
    ],
)
def test_refused_feedback_names_the_field(
    category: str, text: str, photos: list[str], field: str
) -> None:
    with pytest.raises(FeedbackError) as caught:
        validate_feedback(category, text, photos)
    assert caught.value.field == field
