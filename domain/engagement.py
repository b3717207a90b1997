"""Market feedback: the status workflow the brand works through, and what a report needs.

Interface (others call these names)::

    class FeedbackStatus(StrEnum): NEW, IN_REVIEW, RESOLVED, DISMISSED
    FEEDBACK_CATEGORIES: tuple[str, ...]     # PRICE, COMPETITOR, PRODUCT_QUALITY, DEMAND, OTHER
    next_status(current, target) -> FeedbackStatus      # raises FeedbackTransitionError
    validate_feedback(category, text, photo_refs) -> None   # raises FeedbackError(field, msg)

Exception tree::

    FeedbackError(field, message)          a ValueError: an unknown category, empty text,
    │                                      too many or empty photo references
    └── FeedbackTransitionError(current, target)   a move the workflow does not allow

Workflow: NEW → IN_REVIEW → RESOLVED or DISMISSED; NEW → DISMISSED (spam, duplicates);
RESOLVED and DISMISSED are final; IN_REVIEW → NEW is not allowed (re-open is a new report).

Worked examples::

    next_status(NEW, IN_REVIEW)        == IN_REVIEW
    next_status(IN_REVIEW, RESOLVED)   == RESOLVED
    next_status(NEW, RESOLVED)         raises FeedbackTransitionError(NEW, RESOLVED)
    next_status(RESOLVED, IN_REVIEW)   raises FeedbackTransitionError(RESOLVED, IN_REVIEW)
"""

from __future__ import annotations

from collections.abc import Sequence
from enum import StrEnum

__all__ = [
    "FEEDBACK_CATEGORIES",
    "MAX_PHOTOS",
    "FeedbackError",
    "FeedbackStatus",
    "FeedbackTransitionError",
    "next_status",
    "validate_feedback",
]

FEEDBACK_CATEGORIES = ("PRICE", "COMPETITOR", "PRODUCT_QUALITY", "DEMAND", "OTHER")
MAX_PHOTOS = 10
MAX_TEXT = 4000


class FeedbackStatus(StrEnum):
    NEW = "NEW"
    IN_REVIEW = "IN_REVIEW"
    RESOLVED = "RESOLVED"
    DISMISSED = "DISMISSED"


class FeedbackError(ValueError):
    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


class FeedbackTransitionError(FeedbackError):
    def __init__(self, current: FeedbackStatus, target: FeedbackStatus) -> None:
        super().__init__("status", f"feedback cannot move from {current} to {target}")
        self.current = current
        self.target = target


_ALLOWED = {
    FeedbackStatus.NEW: {FeedbackStatus.IN_REVIEW, FeedbackStatus.DISMISSED},
    FeedbackStatus.IN_REVIEW: {FeedbackStatus.RESOLVED, FeedbackStatus.DISMISSED},
    FeedbackStatus.RESOLVED: set(),
    FeedbackStatus.DISMISSED: set(),
}


def next_status(current: FeedbackStatus, target: FeedbackStatus) -> FeedbackStatus:
    """The status after moving ``current`` to ``target``; refuses a move not in the workflow."""
    if target not in _ALLOWED[current]:
        raise FeedbackTransitionError(current, target)
    return target


def validate_feedback(category: str, text: str, photo_refs: Sequence[str]) -> None:
    """Refuse a feedback report that cannot be worked on, naming the field."""
    if category not in FEEDBACK_CATEGORIES:
        raise FeedbackError("category", f"one of {', '.join(FEEDBACK_CATEGORIES)}")
    if not text.strip():
        raise FeedbackError("text", "must not be empty")
    if len(text) > MAX_TEXT:
        raise FeedbackError("text", f"at most {MAX_TEXT} characters")
    if len(photo_refs) > MAX_PHOTOS:
        raise FeedbackError("photo_refs", f"at most {MAX_PHOTOS} photos")
    if any(not ref.strip() for ref in photo_refs):
        raise FeedbackError("photo_refs", "a photo reference must not be empty")
