from django.apps import AppConfig


class ProgramsConfig(AppConfig):
    name = "apps.programs"
    label = "programs"

    def ready(self) -> None:
        from apps.waitlist.offers import OfferKind, offer_kind_register

        from . import portal_views
        from .services import seats

        offer_kind_register(
            OfferKind(
                name=seats.SEAT,
                due=seats.seat_offers_due,
                expire=seats.program_seat_offers_expire,
                answer_link=portal_views.seat_offer_link,
            )
        )

        from apps.scheduling import extensions

        from .selectors import member_meetings_during, member_meetings_warning

        extensions.group_meetings_during.provide(member_meetings_during)
        extensions.group_meetings_warning.provide(member_meetings_warning)

        from .services.meetings import meetings_moved_tell

        # A meeting moved to another date, time, room or office is told to its members.
        extensions.group_meetings_moved.provide(meetings_moved_tell)

        from apps.patients.extensions import (
            chart_opened_register,
            discharge_blocker_register,
            discharged_register,
            reactivated_register,
            reminder_details_changed_register,
        )

        from .selectors import discharge_blocker
        from .services.lectures import registrant_link

        chart_opened_register(registrant_link)
        # A member of a group still meeting is withdrawn before a discharge; an open seat offer is declined by it.
        discharge_blocker_register(discharge_blocker)
        discharged_register(seats.seat_offers_decline_on_discharge)
        # Back in care, a patient first in line is offered a seat that came free while they were passed over.
        reactivated_register(seats.seat_offers_on_reactivation)
        from apps.accounts.navigation import nav_badge_register

        from .selectors import stranded_open

        nav_badge_register("programs:work_queue", lambda user: stranded_open())

        from apps.core.transitions import reaction_register
        from apps.notifications.send_guards import send_guard_register
        from apps.scheduling.models import AppointmentStatus
        from apps.scheduling.reminders import session_reminders_outdated

        from .models import EnrollmentStatus
        from .services import meetings

        # A meeting moved or cancelled withdraws its members' reminders (and a cancellation tells them); a member who
        # leaves is reminded of nothing more, and the online meetings still ahead get new video links the others are
        # sent; a reminder whose meeting changed as it was queued is dropped when due.
        reaction_register(
            model="scheduling.AppointmentTransition",
            to_status=[AppointmentStatus.BOOKED, *meetings.CANCELLED_STATUSES],
            name="programs.meeting_changed",
            run=meetings.meeting_on_change,
        )
        reaction_register(
            model="programs.EnrollmentTransition",
            to_status=EnrollmentStatus.WITHDRAWN,
            name="programs.member_reminders_withdraw",
            run=meetings.member_reminders_on_leaving,
        )
        reaction_register(
            model="programs.EnrollmentTransition",
            to_status=EnrollmentStatus.WITHDRAWN,
            name="programs.video_links_renew",
            run=meetings.video_links_renew_on_leaving,
        )
        send_guard_register(purposes=meetings.REMINDER_PURPOSES, guard=session_reminders_outdated)
        # A member's meeting reminders queued ahead follow their chart, as their sessions' reminders do.
        reminder_details_changed_register(meetings.member_reminders_replan)
