// Staff calendar: FullCalendar week/day views fed by the JSON events endpoint.
// Configuration comes from data- attributes (the CSP forbids inline scripts).
(function () {
  "use strict";

  function selected(form, name) {
    return Array.from(form.querySelectorAll('select[name="' + name + '"] option:checked')).map(function (o) {
      return o.value;
    });
  }

  function pad(n) {
    return String(n).padStart(2, "0");
  }

  // The server sends clinic wall-clock times without an offset and the calendar runs in "UTC", so what shows is
  // clinic time whatever zone the browser is in; the UTC fields of a clicked date are the clinic wall clock.
  function clinicStamp(date) {
    return (
      date.getUTCFullYear() + "-" + pad(date.getUTCMonth() + 1) + "-" + pad(date.getUTCDate()) +
      "T" + pad(date.getUTCHours()) + ":" + pad(date.getUTCMinutes())
    );
  }

  function init() {
    var el = document.getElementById("calendar");
    if (!el || typeof FullCalendar === "undefined") {
      return;
    }
    var form = document.getElementById("calendar-filters");
    document.querySelectorAll(".legend .swatch").forEach(function (swatch) {
      swatch.style.backgroundColor = swatch.dataset.color;
    });
    var bookUrl = el.dataset.bookUrl;
    var clinicNowAtLoad = Date.parse(el.dataset.clinicNow + "Z");
    var loadedAt = Date.now();
    var calendar = new FullCalendar.Calendar(el, {
      timeZone: "UTC",
      now: function () {
        return new Date(clinicNowAtLoad + (Date.now() - loadedAt));
      },
      eventTimeFormat: { hour: "2-digit", minute: "2-digit", hour12: false },
      slotLabelFormat: { hour: "2-digit", minute: "2-digit", hour12: false },
      initialView: el.dataset.initialView || "timeGridWeek",
      initialDate: el.dataset.initialDate,
      headerToolbar: { left: "prev,next today", center: "title", right: "timeGridWeek,timeGridDay" },
      // Text buttons: FullCalendar's arrow icons need its data: font, which the CSP refuses (see the font guard).
      buttonIcons: false,
      buttonText: { prev: "‹ Previous", next: "Next ›", today: "Today", week: "Week", day: "Day" },
      slotMinTime: "07:00:00",
      slotMaxTime: "21:00:00",
      slotDuration: "00:15:00",
      nowIndicator: true,
      allDaySlot: false,
      firstDay: 1,
      height: "auto",
      eventSources: [
        {
          url: el.dataset.eventsUrl,
          extraParams: function () {
            return { therapist: selected(form, "therapist"), room: selected(form, "room") };
          },
          failure: function () {
            if (!document.getElementById("calendar-load-error")) {
              el.insertAdjacentHTML(
                "beforebegin",
                '<p id="calendar-load-error" class="messages error" role="alert">Could not load sessions.</p>'
              );
            }
          },
          success: function () {
            var error = document.getElementById("calendar-load-error");
            if (error) {
              error.remove();
            }
          },
        },
      ],
      // Screen readers hear that the sessions are still arriving after a filter change or a new week.
      loading: function (isLoading) {
        el.setAttribute("aria-busy", isLoading ? "true" : "false");
      },
      // Clicking an empty slot opens the booking form with that time filled in.
      dateClick: function (info) {
        if (!bookUrl) {
          return;
        }
        var params = new URLSearchParams({ start: clinicStamp(info.date) });
        var therapists = selected(form, "therapist");
        if (therapists.length === 1) {
          params.set("therapist", therapists[0]);
        }
        window.location.href = bookUrl + "?" + params.toString();
      },
      eventDidMount: function (info) {
        info.el.setAttribute("title", info.event.title + " (" + info.event.extendedProps.status + ")");
      },
    });
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      calendar.refetchEvents();
    });
    calendar.render();
  }

  document.addEventListener("DOMContentLoaded", init);
})();
