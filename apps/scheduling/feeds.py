"""A therapist's private iCal feed: times, initials, service and place only.

The URL carries a secret token (stored hashed) and works without signing in so calendar apps can subscribe; it
never shows full names, contact details or anything clinical, because calendar apps sync it to phones and clouds.
"""

import datetime as dt

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST, require_safe
from icalendar import Calendar, Event

from apps.core import clock
from apps.core.errors import ApplicationError
from apps.core.links import absolute_url, site_host

from . import selectors, services
from .models import CalendarFeed

FEED_PAST_DAYS = 30


def _event_location(appointment) -> str:
    """Where the therapist goes: "Telehealth", or the office, the room and the office's address."""
    if appointment.is_telehealth:
        return "Telehealth"
    location = appointment.location
    parts = [location.name, getattr(appointment.room, "name", ""), ", ".join(location.address_lines)]
    return ", ".join(part for part in parts if part)


def calendar_ics(therapist, appointments) -> bytes:
    """Each session at its wall-clock time in its location's zone (TZID, with the VTIMEZONE a client needs to read
    it), so a calendar app shows 10:00 at a Pacific office as 10:00 Pacific whatever zone the phone is in."""
    cal = Calendar()
    cal.add("prodid", "-//Clinic//Schedule//EN")
    cal.add("version", "2.0")
    cal.add("x-wr-calname", "Clinic sessions")
    host = site_host()
    for appointment in appointments:
        event = Event()
        who = appointment.patient.initials if appointment.patient else "Group"
        zone = appointment.location.zone
        event.add("uid", f"appointment-{appointment.pk}@{host}")
        event.add("summary", f"{who} · {appointment.service_type.code}")
        event.add("dtstart", timezone.localtime(appointment.start, zone))
        event.add("dtend", timezone.localtime(appointment.end, zone))
        event.add("dtstamp", appointment.updated_at)
        event.add("location", _event_location(appointment))
        cal.add_component(event)
    cal.add_missing_timezones()
    return cal.to_ical()


@never_cache
@require_safe
def calendar_feed(request, token: str):
    """The subscription URL. A revoked or unknown token answers 404, the same either way."""
    feed = selectors.calendar_feed_by_token(token=token)
    if feed is None:
        raise Http404("No such calendar.")
    CalendarFeed.objects.filter(pk=feed.pk).update(last_used_at=clock.now())
    since = clock.now() - dt.timedelta(days=FEED_PAST_DAYS)
    body = calendar_ics(feed.therapist, selectors.calendar_feed_appointments(therapist=feed.therapist, since=since))
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = 'inline; filename="sessions.ics"'
    return response


@login_required
@require_safe
def calendar_feed_settings(request):
    if not request.user.has_perm("scheduling.own_schedule"):
        raise PermissionDenied
    # Shown once. A HEAD (a browser's prefetch, a link checker) is nobody reading it: audit.head_requests gives the
    # session back as it came, so the address is still there for the GET that shows it.
    token = request.session.pop("calendar_feed_token", None)
    context = {
        "feed": selectors.calendar_feed_live(therapist=request.user),
        "feed_url": absolute_url(reverse("scheduling:calendar_feed", args=[token])) if token else "",
    }
    return render(request, "scheduling/calendar_feed.html", context)


@login_required
@require_POST
def calendar_feed_change(request, action: str):
    """Issue a new secret URL (the old one stops working) or revoke it. Both cut off the calendars subscribed to
    the current address for good, so while there is one they ask first (a page) and only its post with
    confirmed=yes acts; the first address is made at once."""
    if not request.user.has_perm("scheduling.own_schedule"):
        raise PermissionDenied
    if request.POST.get("confirmed") != "yes":
        feed = selectors.calendar_feed_live(therapist=request.user)
        if feed is not None:
            return render(request, "scheduling/calendar_feed_confirm.html", {"feed": feed, "action": action})
    try:
        if action == "issue":
            # Shown once on the next page, then only its hash remains.
            request.session["calendar_feed_token"] = services.calendar_feed_issue(
                actor=request.user, therapist=request.user
            )
        else:
            services.calendar_feed_revoke(actor=request.user, therapist=request.user)
    except ApplicationError as exc:
        messages.error(request, exc.message)
    return redirect("scheduling:calendar_feed_settings")
