"""The account page's statement and superbill refuse as every form does: the page comes back with a summary at its
top saying what was not done and why, what was typed still in its field, 422 for what was typed and 409 for the
records as they now stand (a later month's statement out already), and nothing written or sent."""

import datetime as dt
import html

import pytest
import time_machine
from django.contrib.messages import get_messages

from apps.billing.models import Statement
from apps.billing.services.statements import statement_issue
from apps.core import clock
from apps.notifications.models import Message

pytestmark = pytest.mark.django_db

SUMMARY = 'id="error-summary"'


def test_last_months_statement_after_this_months_is_a_conflict_shown_on_the_account_page(personas, login):
    this_month = clock.local_now().date().replace(day=1)
    next_month = (this_month + dt.timedelta(days=32)).replace(day=1)
    with time_machine.travel(clock.local_datetime(next_month + dt.timedelta(days=2), dt.time(12)), tick=False):
        statement_issue(actor=personas.billing, patient=personas.patient, year=this_month.year, month=this_month.month)
    statements, sent = Statement.objects.count(), Message.objects.count()
    response = login(personas.billing).post(f"/billing/patients/{personas.patient.pk}/statements/")
    page = html.unescape(response.content.decode())
    assert response.status_code == 409
    assert SUMMARY in page
    assert f"No statement was issued. The statement for {this_month:%B %Y} was issued already" in page
    assert Statement.objects.count() == statements and Message.objects.count() == sent


@pytest.mark.parametrize(
    ("start", "end", "said"),
    [
        ("2026-03-10", "2026-03-01", "The end date is before the start date."),
        ("2026-03-01", "soon", "Enter a valid date."),
        ("", "", "This field is required."),
    ],
)
def test_a_superbill_period_that_is_no_period_is_refused_422_on_the_account_page_as_typed(
    personas, login, start, end, said
):
    statements = Statement.objects.count()
    response = login(personas.billing).get(
        f"/billing/patients/{personas.patient.pk}/superbill/", {"start": start, "end": end}
    )
    page = html.unescape(response.content.decode())
    assert response.status_code == 422
    assert response["Content-Type"].startswith("text/html")
    assert SUMMARY in page and "No superbill was made: choose a valid period." in page
    assert said in page
    assert f'name="end" value="{end}"' in page if end else 'name="end"' in page
    assert Statement.objects.count() == statements


@pytest.mark.parametrize(
    ("start", "end", "said"),
    [
        ("2026-03-10", "2026-03-01", "The end date is before the start date."),
        ("2026-03-01", "soon", "“End”"),
    ],
)
def test_a_superbill_period_that_is_no_period_is_refused_422_on_the_portal_billing_page_as_typed(
    personas, login, start, end, said
):
    response = login(personas.patient_user).get("/portal/billing/superbill/", {"start": start, "end": end})
    page = html.unescape(response.content.decode())
    assert response.status_code == 422
    assert response["Content-Type"].startswith("text/html")
    assert SUMMARY in page and "No superbill was made: choose a valid period." in page
    assert 'href="#id_end"' in page and said in page
    assert f'name="start" value="{start}"' in page and f'name="end" value="{end}"' in page
    assert not get_messages(response.wsgi_request)  # said on the page, not in a message for the next one


# The sliding-scale table

TABLE = {
    "rows": "4",
    "effective_from": "2030-01-01",
    "nominal_fee": "25.00",
    "late_cancel_fee": "80.00",
    "code_0": "A",
    "label_0": "Up to 150%",
    "max_percent_0": "150",
    "basis_0": "nominal",
    "percent_0": "0",
    "code_1": "B",
    "label_1": "Above",
    "max_percent_1": "",
    "basis_1": "percent",
    "percent_1": "100",
}


@pytest.mark.parametrize(
    ("changed", "said"),
    [
        ({"code_1": "A"}, "Two classes share the code A"),
        ({"nominal_fee": "lots"}, "Nominal fee: Enter an amount like 120.00."),
        ({"effective_from": "someday"}, "every row needs a code and a name"),
    ],
)
def test_a_refused_sliding_scale_table_comes_back_422_as_typed_with_nothing_saved(
    personas, login, fee_config, changed, said
):
    from apps.billing.models import SlidingScaleClass, SlidingScaleSchedule

    before = (SlidingScaleSchedule.objects.count(), SlidingScaleClass.objects.count())
    response = login(personas.billing).post("/billing/configuration/sliding-scale/", {**TABLE, **changed})
    page = html.unescape(response.content.decode())
    assert response.status_code == 422
    assert SUMMARY in page and "The sliding-scale table was not saved." in page and said in page
    for name, value in {**TABLE, **changed}.items():
        if name not in ("rows", "basis_0", "basis_1") and value:
            assert f'name="{name}" value="{value}"' in page, name
    assert '<option value="nominal" selected>' in page
    assert (SlidingScaleSchedule.objects.count(), SlidingScaleClass.objects.count()) == before


# The fee schedule and the poverty guidelines


def test_a_fee_that_is_no_amount_is_refused_422_on_the_page_as_typed(personas, login, fee_config):
    from apps.billing.models import FeeSchedule

    service = fee_config["90834"]
    fees = FeeSchedule.objects.count()
    response = login(personas.billing).post(
        f"/billing/configuration/fees/{service.pk}/", {"full_fee": "lots", "effective_from": "2030-01-01"}
    )
    page = html.unescape(response.content.decode())
    assert response.status_code == 422
    assert SUMMARY in page and f"The fee for {service.code} was not set." in page
    assert 'name="full_fee" value="lots"' in page and 'value="2030-01-01"' in page
    assert f'href="#fee_{service.pk}_full_fee"' in page
    assert FeeSchedule.objects.count() == fees


def test_a_poverty_guideline_for_no_real_year_is_refused_422_on_the_page_as_typed(personas, login, fee_config):
    from apps.billing.models import PovertyGuideline

    guidelines = PovertyGuideline.objects.count()
    typed = {"year": "1900", "first_person": "16000", "each_additional_person": "5600"}
    response = login(personas.billing).post("/billing/configuration/guidelines/", typed)
    page = html.unescape(response.content.decode())
    assert response.status_code == 422
    assert SUMMARY in page and "The poverty guideline was not saved." in page
    assert 'name="year" value="1900"' in page and 'href="#id_year"' in page
    assert PovertyGuideline.objects.count() == guidelines
