"""Health components from raw measures: the docstring's worked example, every "no data"
default, the run-rate and growth edges, and period parsing."""

from decimal import Decimal

import pytest

from domain.health import HealthComponent, HealthRuleError
from domain.health_measures import PartnerMeasures, add_months, components_from, month_start

D = Decimal
C = HealthComponent


def test_worked_example() -> None:
    m = PartnerMeasures(
        monthly_amounts=[D(100)] * 5 + [D(110)],
        last_year_amount=D(100),
        invoices_due=4,
        invoices_paid=3,
        overdue_days=[5],
        on_hand=40,
        units_bought_12w=120,
        tasks_assigned=4,
        tasks_reported=2,
        documents=2,
        documents_valid=1,
    )
    assert components_from(m) == {
        C.TARGET: D(100),
        C.ORDER_STABILITY: D("96.33"),
        C.PAYMENT: D(65),
        C.INVENTORY: D(100),
        C.ENGAGEMENT: D(50),
        C.COMPLIANCE: D(50),
    }


def test_no_data_defaults() -> None:
    got = components_from(PartnerMeasures(monthly_amounts=[D(0)] * 6))
    assert got == {
        C.TARGET: D(0),
        C.ORDER_STABILITY: D(0),
        C.PAYMENT: D(100),
        C.INVENTORY: D(100),
        C.ENGAGEMENT: D(100),
        C.COMPLIANCE: D(0),
    }
    # stock but no purchases: dead stock
    assert components_from(PartnerMeasures([D(0)], on_hand=5))[C.INVENTORY] == D(0)


def test_target_run_rate_and_growth() -> None:
    # first sales ever: no run-rate → 100
    assert components_from(PartnerMeasures([D(0), D(0), D(0), D(50)]))[C.TARGET] == D(100)
    # half the run-rate, a 50 % fall on last year → 50 - 25
    m = PartnerMeasures([D(100), D(100), D(100), D(50)], last_year_amount=D(100))
    assert components_from(m)[C.TARGET] == D(25)


def test_payment_all_overdue() -> None:
    m = PartnerMeasures([D(1)], invoices_due=2, invoices_paid=0, overdue_days=[10, 30])
    assert components_from(m)[C.PAYMENT] == D(0)
    m = PartnerMeasures([D(1)], invoices_due=2, invoices_paid=2)
    assert components_from(m)[C.PAYMENT] == D(100)


def test_periods() -> None:
    assert month_start("2026-11").isoformat() == "2026-11-01"
    assert add_months(month_start("2026-11"), 2).isoformat() == "2027-01-01"
    assert add_months(month_start("2026-01"), -13).isoformat() == "2024-12-01"
    for bad in ("2026-13", "2026-1", "26-01", "2026-00", ""):
        with pytest.raises(HealthRuleError) as err:
            month_start(bad)
        assert err.value.field == "period"
