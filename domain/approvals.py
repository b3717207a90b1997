"""Approval flows as pure rules: which rule applies to a document, and who may decide a step.

A rule applies to one document type and, optionally, an amount range, a partner tier and a
region (its subregions included). Of the rules that apply, the one with the lowest
``priority`` (then the lowest id) wins; no rule means the document needs no approval.

Worked example: rules ``A`` (order, amount ≥ 10 000, priority 10, steps region_manager →
brand_admin) and ``B`` (order, any amount, in region East, priority 20, step
region_manager). An order of 12 000.00 in East matches both and gets ``A``; one of 9 999.99
in East gets ``B``; one of 9 999.99 in West gets none (approved at once). The range is
half-open: ``min_amount`` ≤ amount < ``max_amount``, so 10 000.00 is in [10 000, …) and a
rule with ``max_amount`` 10 000 stops at 9 999.99.

A step names a role and, optionally, a region: whoever decides it must hold that role, see
the document's partner, and (for a step with a region) have that region in its scope.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal

__all__ = [
    "DOCUMENT_TYPES",
    "DocumentFacts",
    "RuleSpec",
    "StepSpec",
    "matching_rule",
    "may_decide",
    "rule_applies",
    "rule_problems",
]

DOCUMENT_TYPES = ("order", "rebate_settlement", "credit_limit_change", "promotion")
"""The documents an approval rule may govern."""


@dataclass(frozen=True)
class StepSpec:
    """One step: the role that decides it and, optionally, a region its scope must cover."""

    role: str
    region_id: int | None = None


@dataclass(frozen=True)
class RuleSpec:
    id: int
    document_type: str
    steps: tuple[StepSpec, ...]
    min_amount: Decimal | None = None
    max_amount: Decimal | None = None
    tier_id: int | None = None
    region_id: int | None = None
    priority: int = 100
    active: bool = True


@dataclass(frozen=True)
class DocumentFacts:
    """What a rule looks at: the document's type and amount, its partner's tier and regions
    (the partner's region and every region above it)."""

    document_type: str
    amount: Decimal | None
    tier_id: int | None = None
    region_ids: frozenset[int] = frozenset()


def rule_applies(rule: RuleSpec, facts: DocumentFacts) -> bool:
    """True when every condition the rule sets holds for the document.

    >>> rule = RuleSpec(1, "order", (StepSpec("brand_admin"),), min_amount=Decimal("10000"))
    >>> rule_applies(rule, DocumentFacts("order", Decimal("10000.00")))
    True
    >>> rule_applies(rule, DocumentFacts("order", Decimal("9999.99")))
    False
    """
    if not rule.active or rule.document_type != facts.document_type:
        return False
    if rule.min_amount is not None or rule.max_amount is not None:
        if facts.amount is None:
            return False
        if rule.min_amount is not None and facts.amount < rule.min_amount:
            return False
        if rule.max_amount is not None and facts.amount >= rule.max_amount:
            return False
    if rule.tier_id is not None and rule.tier_id != facts.tier_id:
        return False
    return rule.region_id is None or rule.region_id in facts.region_ids


def matching_rule(rules: Iterable[RuleSpec], facts: DocumentFacts) -> RuleSpec | None:
    """The rule that governs the document: lowest priority, then lowest id; None if none."""
    applicable = [rule for rule in rules if rule_applies(rule, facts)]
    return min(applicable, key=lambda r: (r.priority, r.id), default=None)


def rule_problems(
    document_type: str,
    min_amount: Decimal | None,
    max_amount: Decimal | None,
    steps: Sequence[StepSpec],
    roles: Iterable[str],
) -> list[tuple[str, str]]:
    """(field, message) for each thing wrong with a rule's definition; empty when valid."""
    problems: list[tuple[str, str]] = []
    if document_type not in DOCUMENT_TYPES:
        problems.append(("documentType", f"must be one of {', '.join(DOCUMENT_TYPES)}"))
    for name, value in (("minAmount", min_amount), ("maxAmount", max_amount)):
        if value is not None and value < 0:
            problems.append((name, "must not be negative"))
    if min_amount is not None and max_amount is not None and max_amount <= min_amount:
        problems.append(("maxAmount", "must be greater than minAmount"))
    if not steps:
        problems.append(("steps", "a rule needs at least one step"))
    known = set(roles)
    for index, step in enumerate(steps):
        if step.role not in known:
            problems.append((f"steps.{index}.role", f"must be one of {', '.join(sorted(known))}"))
    return problems


def may_decide(step: StepSpec, role: str, sees_partner: bool, covers_step_region: bool) -> bool:
    """Whether someone of ``role`` may decide ``step``: the step's role, the document's
    partner in their scope, and the step's region (if any) in their scope."""
    if role != step.role or not sees_partner:
        return False
    return step.region_id is None or covers_step_region
