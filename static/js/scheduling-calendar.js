// Staff calendar: FullCalendar week/day/list views fed by the JSON events endpoint.
// Configuration comes from data- attributes and a JSON script block (the CSP forbids inline scripts).
(function () {
  "use strict";

  var PHONE = "(max-width: 640px)";
  var SLOT_MINUTES = 15;

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

  // Business hours of the therapists shown: everyone's when the filter names nobody. FullCalendar shades the time
  // outside them; with nobody's hours known, the whole grid is shaded, which is the truth for booking.
  function businessHours(hours, therapistIds) {
    var ids = therapistIds.length ? therapistIds : Object.keys(hours);
    var blocks = [];
    ids.forEach(function (id) {
      blocks = blocks.concat(hours[id] || []);
    });
    return blocks.length ? blocks : [{ daysOfWeek: [], startTime: "00:00", endTime: "00:00" }];
  }

  // A date's day on the clinic's wall clock ("2026-12-07"), `days` later.
  function dayOf(date, days) {
    var day = new Date(Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), date.getUTCDate() + days));
    return day.toISOString().slice(0, 10);
  }

  function textNode(tag, className, text) {
    var node = document.createElement(tag);
    node.className = className;
    node.textContent = text;
    return node;
  }

  // Who, with which therapist and where, and a word for anything beyond "booked" (confirmed, checked in, ...):
  // each on its own line in the grid, so narrow side-by-side columns cut lines, not words into each other.
  function eventContent(arg) {
    var props = arg.event.extendedProps;
    if (!props.who) {
      return true; // time off: FullCalendar's own rendering of its title
    }
    var nodes = [];
    if (arg.view.type.indexOf("list") !== 0) {
      nodes.push(textNode("div", "ev-time", arg.timeText));
    }
    nodes.push(textNode("div", "ev-who", props.who));
    nodes.push(textNode("div", "ev-where", props.therapist + " · " + props.where));
    if (props.state) {
      nodes.push(textNode("div", "ev-state", props.state));
    }
    var box = document.createElement("div");
    box.className = "ev";
    nodes.forEach(function (node) {
      box.appendChild(node);
    });
    return { domNodes: [box] };
  }

  function init() {
    var el = document.getElementById("calendar");
    if (!el || typeof FullCalendar === "undefined") {
      return;
    }
    var form = document.getElementById("calendar-filters");
    var hours = JSON.parse(document.getElementById("calendar-working-hours").textContent);
    var phone = window.matchMedia(PHONE).matches;
    // A phone gets the day: as a list by default, or as a grid to tap a free time in.
    var views = phone
      ? { day: "timeGridDay", list: "listDay", week: "timeGridWeek" }
      : { week: "timeGridWeek", day: "timeGridDay", list: "listWeek" };
    var initialView = views[el.dataset.initialView] || (phone ? views.list : views.week);
    var bookUrl = el.dataset.bookUrl;
    var clinicNowAtLoad = Date.parse(el.dataset.clinicNow + "Z");
    var loadedAt = Date.now();

    function book(start, minutes) {
      var params = new URLSearchParams({ start: clinicStamp(start) });
      if (minutes) {
        params.set("minutes", String(minutes));
      }
      var therapists = selected(form, "therapist");
      if (therapists.length === 1) {
        params.set("therapist", therapists[0]);
      }
      // The calendar shows a chosen location's wall-clock time: the booking form reads the click in its zone.
      if (el.dataset.location) {
        params.set("location", el.dataset.location);
      }
      window.location.href = bookUrl + "?" + params.toString();
    }

    // The grid shows the working hours, and longer when a session of the range shown starts earlier or ends later.
    function fitHours(span) {
      var hours = span ? span.split("/") : [];
      var from = hours[0] && hours[0] < el.dataset.gridFrom ? hours[0] : el.dataset.gridFrom;
      var to = hours[1] && hours[1] > el.dataset.gridTo ? hours[1] : el.dataset.gridTo;
      if (from !== shownFrom || to !== shownTo) {
        shownFrom = from;
        shownTo = to;
        calendar.setOption("slotMinTime", from);
        calendar.setOption("slotMaxTime", to);
      }
    }
    var shownFrom = el.dataset.gridFrom;
    var shownTo = el.dataset.gridTo;

    var calendar = new FullCalendar.Calendar(el, {
      timeZone: "UTC",
      now: function () {
        return new Date(clinicNowAtLoad + (Date.now() - loadedAt));
      },
      // Times as every page and message says them ("6:00 PM–6:45 PM", apps/core/when.py), not FullCalendar's "6p".
      eventTimeFormat: { hour: "numeric", minute: "2-digit", hour12: true },
      defaultRangeSeparator: "–",
      // A week's columns by weekday and date in words ("Mon, Dec 7"): "Mon 12/7" is July 12 to a day-first reader.
      dayHeaderFormat: { weekday: "short", month: "short", day: "numeric" },
      // A week's columns are narrow: the start time is enough there, the height shows the length.
      views: { timeGridWeek: { displayEventEnd: false } },
      slotLabelFormat: { hour: "numeric", minute: "2-digit", hour12: true },
      initialView: initialView,
      initialDate: el.dataset.initialDate,
      // On a phone the title takes the first line and the buttons wrap onto the next (see _styles.html).
      headerToolbar: phone
        ? { left: "title", center: "", right: "prev,today,next " + views.day + "," + views.list }
        : { left: "prev,next today", center: "title", right: [views.week, views.day, views.list].join(",") },
      titleFormat: phone ? { weekday: "short", month: "short", day: "numeric" } : undefined,
      // Text buttons: FullCalendar's arrow icons need its data: font, which the CSP refuses (see the font guard).
      buttonIcons: false,
      buttonText: {
        prev: "‹ Previous",
        next: "Next ›",
        today: "Today",
        week: "Week",
        day: "Day",
        list: "List",
        listDay: "List",
        listWeek: "List",
      },
      noEventsContent: "No sessions.",
      slotMinTime: el.dataset.gridFrom,
      slotMaxTime: el.dataset.gridTo,
      slotDuration: "00:" + pad(SLOT_MINUTES) + ":00",
      // Sessions at the same time stand side by side instead of covering each other.
      slotEventOverlap: false,
      businessHours: businessHours(hours, selected(form, "therapist")),
      nowIndicator: true,
      allDaySlot: false,
      firstDay: 1,
      height: "auto",
      // The feed is asked for whole days, and the grid's hours widen to the sessions it returns: a session before
      // the working hours begin or after they end is drawn instead of dropped (the feed's Calendar-Hours header).
      events: function (info, success, failure) {
        var params = new URLSearchParams({ start: dayOf(info.start, 0), end: dayOf(new Date(info.end - 1), 1) });
        selected(form, "therapist").forEach(function (id) {
          params.append("therapist", id);
        });
        selected(form, "room").forEach(function (id) {
          params.append("room", id);
        });
        if (el.dataset.location) {
          params.set("location", el.dataset.location);
        }
        fetch(el.dataset.eventsUrl + "?" + params.toString(), { credentials: "same-origin" })
          .then(function (response) {
            if (!response.ok) {
              throw new Error(String(response.status));
            }
            return response.json().then(function (events) {
              fitHours(response.headers.get("Calendar-Hours"));
              return events;
            });
          })
          .then(function (events) {
            var error = document.getElementById("calendar-load-error");
            if (error) {
              error.remove();
            }
            success(events);
          })
          .catch(function (error) {
            if (!document.getElementById("calendar-load-error")) {
              el.insertAdjacentHTML(
                "beforebegin",
                '<p id="calendar-load-error" class="messages error" role="alert">Could not load sessions.</p>'
              );
            }
            failure(error);
          });
      },
      // Screen readers hear that the sessions are still arriving after a filter change or a new week.
      loading: function (isLoading) {
        el.setAttribute("aria-busy", isLoading ? "true" : "false");
      },
      eventContent: eventContent,
      // A click on an empty time opens the booking form at that time; dragging over a span (or a long press and
      // drag on a touch screen) also fills in the service that lasts that long.
      selectable: Boolean(bookUrl),
      selectMirror: true,
      dateClick: function (info) {
        if (bookUrl) {
          book(info.date, 0);
        }
      },
      select: function (info) {
        var minutes = Math.round((info.end - info.start) / 60000);
        // A plain click selects one slot too; dateClick has already taken it.
        if (minutes > SLOT_MINUTES) {
          book(info.start, minutes);
        }
      },
      eventDidMount: function (info) {
        var status = info.event.extendedProps.status;
        info.el.setAttribute("title", info.event.title + (status ? " (" + status + ")" : ""));
      },
    });
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      calendar.setOption("businessHours", businessHours(hours, selected(form, "therapist")));
      calendar.refetchEvents();
    });
    calendar.render();
  }

  document.addEventListener("DOMContentLoaded", init);
})();
