import io

import pytest

from apps.programs.models import Enrollment, GroupProgram, PublicRegistrant

pytestmark = pytest.mark.django_db


def test_the_demo_programs_load_once_with_a_full_group_a_waitlist_and_an_open_offer():
    from apps.accounts import demo as accounts_demo
    from apps.patients import demo as patients_demo
    from apps.programs import demo
    from apps.scheduling import demo as scheduling_demo

    out = io.StringIO()
    for module in (accounts_demo, scheduling_demo, patients_demo, demo, demo):
        module.seed(out)
    group = GroupProgram.objects.get(title="10-week TMS recovery group")
    lectures = GroupProgram.objects.get(title="Knowledge-therapy lecture series")
    assert (group.meetings.count(), lectures.meetings.count()) == (10, 6)
    assert (lectures.kind, lectures.service_type.code, lectures.fee_mode) == ("lecture", "EDU-LECT", "donation")
    statuses = list(Enrollment.objects.filter(program=group).values_list("status", flat=True))
    assert statuses.count("enrolled") == 7 and statuses.count("offered") == 1 and statuses.count("waitlisted") == 4
    portal = Enrollment.objects.get(program=group, patient__email="patient01@clinic.test")
    assert portal.status == "waitlisted"
    public = GroupProgram.objects.get(title="Pain is real — and reversible")
    assert (public.kind, public.service_type.code, public.fee_mode) == ("lecture", "EDU-LECT", "sliding")
    registrants = list(Enrollment.objects.filter(program=public).values_list("status", flat=True))
    assert sorted(registrants) == ["enrolled"] * 5 + ["waitlisted"]
    assert PublicRegistrant.objects.filter(patient__isnull=False).count() == 1
    assert GroupProgram.objects.count() == 6
    planned = GroupProgram.objects.get(title=demo.PLANNED_LECTURE)
    assert (planned.kind, planned.stage) == ("lecture", "proposed")
    assert sorted(planned.enrollments.values_list("registrant__email", "status")) == [
        ("dana.brooks@public.test", "waitlisted"),
        ("morgan.lee@public.test", "waitlisted"),
    ]
    spring = GroupProgram.objects.get(title=demo.SPRING)
    winter = GroupProgram.objects.get(title=demo.WINTER)
    assert (spring.stage, winter.stage) == ("proposed", "not_launched")
    # Five joined the spring cohort, three more came from the winter group: near its minimum of ten.
    assert spring.enrollments.filter(status="waitlisted").count() == 8
    assert spring.meetings.count() == 0
    assert not winter.enrollments.filter(status="waitlisted").exists()
