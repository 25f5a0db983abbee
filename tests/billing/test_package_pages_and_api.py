"""Session packages on the pages and the API: selling and refunding through a confirmation step, who may do it,
the 4xx answers, and the ledger page, statement, portal and API telling the same story."""

import datetime as dt
from decimal import Decimal

import pytest

from apps.billing.models import Charge, PackagePurchase, PackageStatus, Statement
from apps.billing.selectors.ledger import ledger_lines, patient_balance
from apps.billing.services.charges import charge_for_appointment_outcome
from apps.billing.services.packages import package_purchase
from apps.core import clock

from .helpers import past_appointment
from .packages import patient_at_class

pytestmark = pytest.mark.django_db


def _complete(patient, service, days_ago: int):
    appointment = past_appointment(patient, service_type=service, days_ago=days_ago)
    return charge_for_appointment_outcome(appointment=appointment, actor=None)


@pytest.fixture
def class_b(personas, offering):
    patient_at_class(personas.patient, "B")
    return personas.patient


def test_the_front_desk_sells_a_package_after_seeing_the_slid_price(personas, class_b, offering, login):
    client = login(personas.front_desk)
    page = client.get(f"/billing/patients/{class_b.pk}/")
    assert "Sell a package" in page.content.decode()
    confirm = client.get(f"/billing/patients/{class_b.pk}/packages/sell/", {"offering": offering.pk})
    body = confirm.content.decode()
    assert confirm.status_code == 200 and "$200.00" in body and "101–125%" in body
    assert not PackagePurchase.objects.exists()  # looking is not buying
    done = client.post(f"/billing/patients/{class_b.pk}/packages/sell/", {"offering": offering.pk})
    assert done.status_code == 302
    assert PackagePurchase.objects.get().price == Decimal("200.00")


def test_with_nothing_left_to_sell_the_ledger_says_so_instead_of_an_empty_list(personas, class_b, offering, login):
    client = login(personas.front_desk)
    client.post(f"/billing/patients/{class_b.pk}/packages/sell/", {"offering": offering.pk})
    page = client.get(f"/billing/patients/{class_b.pk}/").content.decode()
    assert "Sell a package" not in page and "No package is on sale for" in page
    assert (
        "No package is on sale"
        not in login(personas.therapist).get(f"/billing/patients/{class_b.pk}/").content.decode()
    )


def test_a_second_package_is_refused_before_the_confirmation_asks(personas, class_b, offering, login):
    client = login(personas.front_desk)
    assert f'<option value="{offering.pk}"' in client.get(f"/billing/patients/{class_b.pk}/").content.decode()
    package_purchase(actor=personas.front_desk, patient=class_b, offering=offering)
    assert f'<option value="{offering.pk}"' not in client.get(f"/billing/patients/{class_b.pk}/").content.decode()
    asked = client.get(f"/billing/patients/{class_b.pk}/packages/sell/", {"offering": offering.pk})
    assert asked.status_code == 409  # the account page, saying why
    assert "No package was sold. This patient already has an active" in asked.content.decode()
    assert PackagePurchase.objects.count() == 1


def test_a_refused_sale_is_explained_on_the_page(personas, offering, login):
    client = login(personas.front_desk)
    response = client.get(f"/billing/patients/{personas.patient.pk}/packages/sell/", {"offering": offering.pk})
    assert response.status_code == 409 and 'id="error-summary"' in response.content.decode()
    assert "no approved assessment" in response.content.decode()
    assert not Charge.objects.exists()


def test_billing_refunds_through_a_confirmation_and_the_front_desk_may_not(personas, class_b, offering, massage, login):
    package = package_purchase(actor=personas.front_desk, patient=class_b, offering=offering)
    charge_for_appointment_outcome(appointment=past_appointment(class_b, service_type=massage), actor=None)
    assert login(personas.front_desk).get(f"/billing/packages/{package.pk}/refund/").status_code == 403
    client = login(personas.billing)
    confirm = client.get(f"/billing/packages/{package.pk}/refund/").content.decode()
    assert "$180.00" in confirm and "1 of 10" in confirm  # 9/10 of $200
    for refused in ({"reason": ""}, {}):  # a reason is required, also when the form comes with nothing at all
        page = client.post(f"/billing/packages/{package.pk}/refund/", refused)
        assert page.status_code == 422 and 'id="error-summary"' in page.content.decode()
        assert PackagePurchase.objects.get().status == PackageStatus.ACTIVE
    client.post(f"/billing/packages/{package.pk}/refund/", {"reason": "Moving away"})
    assert PackagePurchase.objects.get().status == PackageStatus.REFUNDED


def test_the_api_lists_and_sells_packages_with_clear_refusals(personas, class_b, offering, login):
    client = login(personas.front_desk, api=True)
    url = f"/api/patients/{class_b.pk}/packages/"
    created = client.post(url, {"offering": offering.pk}, format="json")
    assert created.status_code == 201, created.content
    assert (created.json()["price"], created.json()["sessions_remaining"]) == ("200.00", 10)
    duplicate = client.post(url, {"offering": offering.pk}, format="json")
    assert duplicate.status_code == 409 and "already has an active" in str(duplicate.json())
    no_class = client.post(f"/api/patients/{personas.other_patient.pk}/packages/", {"offering": offering.pk})
    assert no_class.status_code == 409 and "assessment" in str(no_class.json())
    assert client.post(url, {"offering": 999999}, format="json").status_code == 400
    offering.is_active = False
    offering.save()
    patient_at_class(personas.other_patient, "C")
    retired = client.post(f"/api/patients/{personas.other_patient.pk}/packages/", {"offering": offering.pk})
    assert retired.status_code == 409 and "no longer sold" in str(retired.json())
    listed = client.get(url).json()
    assert [row["offering_name"] for row in listed] == ["10-week relaxation massage"]


def test_a_patient_sees_their_own_packages_and_cannot_buy_or_see_others(personas, class_b, offering, login):
    package_purchase(actor=personas.front_desk, patient=class_b, offering=offering)
    client = login(personas.patient_user, api=True)
    assert client.get(f"/api/patients/{class_b.pk}/packages/").status_code == 200
    assert client.post(f"/api/patients/{class_b.pk}/packages/", {"offering": offering.pk}).status_code == 403
    assert client.get(f"/api/patients/{personas.other_patient.pk}/packages/").status_code == 404


def test_ledger_page_portal_statement_and_api_agree_on_the_package(personas, class_b, offering, massage, login):
    package = package_purchase(actor=personas.front_desk, patient=class_b, offering=offering)
    for days_ago in (2, 1):
        charge_for_appointment_outcome(
            appointment=past_appointment(class_b, service_type=massage, days_ago=days_ago), actor=None
        )
    descriptions = [line.description for line in ledger_lines(patient=class_b)]
    assert "Package: 10-week relaxation massage (10 sessions)" in descriptions
    assert "Relaxation massage, 60 min: covered by package (2 of 10)" in descriptions

    staff_page = login(personas.billing).get(f"/billing/patients/{class_b.pk}/").content.decode()
    portal_page = login(personas.patient_user).get("/portal/billing/").content.decode()
    for page in (staff_page, portal_page):
        assert "covered by package (2 of 10)" in page and "2 of 10" in page and "Session packages" in page

    charges = login(personas.billing, api=True).get("/api/charges/", {"patient": class_b.pk}).json()
    rows = charges["results"] if isinstance(charges, dict) else charges
    packaged = {row["id"]: row["package"] for row in rows if row["package"]}
    assert packaged[package.charge_id] == {
        "purchase": package.pk,
        "session_number": None,
        "sessions_total": 10,
        "sessions_remaining": 8,
    }
    assert sorted(p["session_number"] for p in packaged.values() if p["session_number"]) == [1, 2]

    # A statement over the days of the sale and the sessions shows the same lines and what is left.
    today = clock.local_now().date()
    balance = patient_balance(patient=class_b)
    statement = Statement.objects.create(
        patient=class_b,
        period_start=today - dt.timedelta(days=3),
        period_end=today,
        opening_balance=0,
        closing_balance=balance,
        balance_at_issue=balance,
        issued_at=clock.now(),
    )
    shown = login(personas.patient_user).get(f"/portal/billing/statements/{statement.pk}/").content.decode()
    assert "covered by package (2 of 10)" in shown and "Package: 10-week relaxation massage" in shown
    assert '<td class="num">2 of 10</td><td class="num">8</td>' in shown


def test_the_ledger_page_query_count_does_not_grow_with_packages(
    personas, class_b, offering, massage, login, django_assert_max_num_queries
):
    package_purchase(actor=personas.front_desk, patient=class_b, offering=offering)
    for days_ago in range(8, 0, -1):
        charge_for_appointment_outcome(
            appointment=past_appointment(class_b, service_type=massage, days_ago=days_ago), actor=None
        )
    client = login(personas.billing)
    with django_assert_max_num_queries(23) as few:
        client.get(f"/billing/patients/{class_b.pk}/")
    baseline = len(few.captured_queries)
    _complete(class_b, massage, 0)
    with django_assert_max_num_queries(baseline):
        client.get(f"/billing/patients/{class_b.pk}/")
