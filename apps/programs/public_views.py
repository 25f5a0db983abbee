"""Public pages for lecture series, mounted under /lectures/ (namespace lectures): no sign-in.

A visitor registers with a name and an email; from then on the signed link in their emails (their registration's
page, and a seat offer's accept and decline links) is what lets them act, since they have no account.
"""

import functools

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_safe

from apps.core.errors import ApplicationError
from apps.core.forms import FORM_REFUSED_STATUS
from apps.core.views import form_refused_focus, found_or_404, refusal_status
from apps.waitlist.offers import offer_token_read

from . import lecture_selectors, selectors
from .public_forms import LectureRegistrationForm
from .registration_links import registration_token_make, registration_token_read
from .services import lectures, seats
from .throttles import registration_throttled

OFFER_ANSWERS = {
    "accept": "Your seat is confirmed. See you at the first lecture.",
    "decline": "You declined the seat; it goes to the next person in line.",
}
# What a refused answer says it did not do, before why.
OFFER_NOT_DONE = {"accept": "The seat was not taken.", "decline": "The seat was not declined."}


@require_safe
def lecture_list(request):
    return render(request, "programs/public/list.html", {"lectures": lecture_selectors.lectures_open()})


@require_http_methods(["GET", "POST"])
def lecture_detail(request, pk):
    program = get_object_or_404(lecture_selectors.lectures_open(), pk=pk)
    posted = request.POST if request.method == "POST" else None  # a post with nothing ticked is refused all the same
    form, status = LectureRegistrationForm(posted, program=program), 200
    if request.method == "POST":
        if registration_throttled(request):
            return HttpResponse("Too many registrations; try again in a minute.", status=429, content_type="text/plain")
        status = FORM_REFUSED_STATUS
        if form.is_valid():
            try:
                enrollment = lectures.lecture_register(program=program, **form.cleaned_data)
            except ApplicationError as exc:
                form.add_error(None, exc.message)
                status = exc.status
            else:
                token = registration_token_make(enrollment.pk)
                return redirect(reverse("lectures:manage", args=[token]) + "?registered=1")
        form_refused_focus(form)
    context = {"program": program, "form": form, "meetings": selectors.program_meetings(program=program)}
    return render(request, "programs/public/detail.html", context, status=status)


def registration_from_link(view):
    """The view's `token` names a public registration: the view gets the enrollment instead. A forged link is a
    404; a link past its time (`lecture_selectors.registration_link_open`) is the 410 "expired" page."""

    @functools.wraps(view)
    def wrapped(request, token):
        enrollment_id = registration_token_read(token)
        enrollment = lectures.registrant_enrollment(enrollment_id) if enrollment_id is not None else None
        enrollment = found_or_404(enrollment, "This registration link is not valid.")
        if not lecture_selectors.registration_link_open(enrollment):
            return render(request, "programs/public/link_expired.html", status=410)
        return view(request, token, enrollment)

    return wrapped


@require_safe
@registration_from_link
def registration_manage(request, token, enrollment):
    """The registration's own page: confirmation right after registering, and later the place to cancel."""
    context = {
        "enrollment": enrollment,
        "program": enrollment.program,
        "token": token,
        "just_registered": request.GET.get("registered") == "1",
        "waitlist_rank": lecture_selectors.waitlist_rank(enrollment),
        "meetings": selectors.program_meetings(program=enrollment.program),
    }
    return render(request, "programs/public/registration.html", context)


@require_http_methods(["GET", "POST"])
@registration_from_link
def registration_cancel(request, token, enrollment):
    """Cancelling takes a second, confirming press; the seat goes to the next in line. Refused (cancelled already,
    from another tab or at the desk), the page answers 409 with why at its top and the registration as it now
    stands."""
    refused, status = "", 200
    if request.method == "POST":
        try:
            lectures.lecture_registration_cancel(enrollment=enrollment)
        except ApplicationError as exc:
            enrollment.refresh_from_db()
            refused, status = f"Your registration was not cancelled. {exc.message}", refusal_status(exc)
        else:
            messages.success(request, f"Your registration for {enrollment.program.title} is cancelled.")
            return redirect("lectures:manage", token=token)
    context = {"enrollment": enrollment, "token": token, "refused": refused}
    return render(request, "programs/public/cancel.html", context, status=status)


@require_http_methods(["GET", "POST"])
def offer_link(request, token):
    """A seat offer's emailed accept or decline link for a registrant. Answering takes a button press (a POST), so
    mail scanners that open links cannot answer for them. An answer refused (the offer answered, expired or replaced
    meanwhile, the series over) comes back on the offer's page with why at its top, answering the refusal's status
    (409 for the offer as it now stands)."""
    link = offer_token_read(token)
    if link is None or link.kind != seats.SEAT:
        raise Http404("This offer link is not valid.")
    enrollment = lectures.registrant_enrollment(link.object_id)
    if enrollment is None:
        raise Http404("This offer link is not valid.")
    manage = registration_token_make(enrollment.pk)
    refused, status = "", 200
    if request.method == "POST":
        try:
            lectures.lecture_offer_answer(enrollment=enrollment, action=link.action, offer_number=link.offer_number)
        except ApplicationError as exc:
            enrollment.refresh_from_db()
            refused, status = f"{OFFER_NOT_DONE[link.action]} {exc.message}", refusal_status(exc)
        else:
            messages.success(request, OFFER_ANSWERS[link.action])
            return redirect("lectures:manage", token=manage)
    problem = seats.seat_offer_problem(enrollment, offer_number=link.offer_number)
    context = {
        "enrollment": enrollment,
        "action": link.action,
        "is_current": not problem,
        "problem": problem,
        "manage_token": manage,
        "refused": refused,
    }
    return render(request, "programs/public/offer.html", context, status=status)
