"""Approval rule matching: amount thresholds (half-open, to the cent), tier, region with its
subregions, priority order, and the definition checks."""

from decimal import Decimal

from domain.approvals import (
    DocumentFacts,
    RuleSpec,
    StepSpec,
    matching_rule,
    may_decide,
    rule_applies,
    rule_problems,
)

ADMIN = (StepSpec("brand_admin"),)
TWO_STEPS = (StepSpec("region_manager", 7), StepSpec("brand_admin"))


def order(
    amount: str | None, tier: int | None = None, regions: tuple[int, ...] = ()
) -> DocumentFacts:
    value = None if amount is None else Decimal(amount)
    return DocumentFacts("order", value, tier, frozenset(regions))


def test_amount_range_is_half_open_to_the_cent():
    rule = RuleSpec(1, "order", ADMIN, min_amount=Decimal("10000"), max_amount=Decimal("50000"))
    assert not rule_applies(rule, order("9999.99"))
    assert rule_applies(rule, order("10000.00"))
    assert rule_applies(rule, order("10000.01"))
    assert rule_applies(rule, order("49999.99"))
    assert not rule_applies(rule, order("50000.00"))
    assert not rule_applies(rule, order(None))


def test_a_rule_without_conditions_applies_to_every_document_of_its_type():
    rule = RuleSpec(1, "order", ADMIN)
    assert rule_applies(rule, order(None))
    assert not rule_applies(rule, DocumentFacts("promotion", Decimal(1)))
    assert not rule_applies(RuleSpec(1, "order", ADMIN, active=False), order("1"))


def test_tier_and_region_including_subregions():
    rule = RuleSpec(1, "order", ADMIN, tier_id=3, region_id=7)
    assert rule_applies(rule, order("1", tier=3, regions=(1, 7, 12)))
    assert not rule_applies(rule, order("1", tier=4, regions=(1, 7, 12)))
    assert not rule_applies(rule, order("1", tier=3, regions=(1, 8)))
    assert not rule_applies(rule, order("1", tier=None, regions=()))


def test_the_lowest_priority_then_the_lowest_id_wins():
    big = RuleSpec(5, "order", TWO_STEPS, min_amount=Decimal("10000"), priority=10)
    east = RuleSpec(2, "order", ADMIN, region_id=7, priority=20)
    tie = RuleSpec(9, "order", ADMIN, region_id=7, priority=20)
    rules = [tie, east, big]
    assert matching_rule(rules, order("12000.00", regions=(7,))) == big
    assert matching_rule(rules, order("9999.99", regions=(7,))) == east
    assert matching_rule(rules, order("9999.99", regions=(8,))) is None


def test_rule_definitions_are_checked_field_by_field():
    roles = ["brand_admin", "region_manager"]
    assert rule_problems("order", Decimal(0), Decimal(1), ADMIN, roles) == []
    problems = rule_problems("invoice", Decimal(-1), Decimal(-2), [StepSpec("cashier")], roles)
    assert [field for field, _ in problems] == [
        "documentType",
        "minAmount",
        "maxAmount",
        "maxAmount",
        "steps.0.role",
    ]
    assert rule_problems("order", None, None, [], roles) == [
        ("steps", "a rule needs at least one step")
    ]
    assert rule_problems("order", Decimal(5), Decimal(5), ADMIN, roles) == [
        ("maxAmount", "must be greater than minAmount")
    ]


def test_who_may_decide_a_step():
    step = StepSpec("region_manager", 7)
    assert may_decide(step, "region_manager", sees_partner=True, covers_step_region=True)
    assert not may_decide(step, "brand_admin", sees_partner=True, covers_step_region=True)
    assert not may_decide(step, "region_manager", sees_partner=False, covers_step_region=True)
    assert not may_decide(step, "region_manager", sees_partner=True, covers_step_region=False)
    assert may_decide(StepSpec("dealer"), "dealer", sees_partner=True, covers_step_region=False)
