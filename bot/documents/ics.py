"""Calendar files (.ics, RFC 5545) for a delegate's seat at a conference.

One VEVENT per file, identified by ``<rsvp id>-<event id>@thidua-bot``: a calendar that imports a
later file for the same seat (the event moved, say) updates the entry instead of adding a second
one. Times carry the bot's time zone (``TZID`` with its VTIMEZONE) when it has an IANA name, else
UTC; one VALARM per reminder of the event, so the phone reminds the person too.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta, tzinfo
from zoneinfo import ZoneInfo

import icalendar

from bot.domain.events import Event, Rsvp

PRODID = "-//thidua-bot//Conference attendance//VI"
MIME_TYPE = "text/calendar"


def uid_of(rsvp: Rsvp) -> str:
    return f"{rsvp.id}-{rsvp.event_id}@thidua-bot"


def filename_of(event: Event) -> str:
    return f"{event.id}.ics"


def location_of(event: Event) -> str:
    """Venue and address, as one line."""
    return ", ".join(part for part in (event.venue, event.address) if part)


def describe(
    event: Event,
    code: str,
    *,
    code_label: str,
    agenda_label: str,
    organiser_label: str,
    extra: Sequence[str] = (),
) -> str:
    """The DESCRIPTION text (plain, not HTML): the check-in code first (what is looked for at
    the door), the organiser, the agenda, then ``extra`` lines (a note, the map link)."""
    lines = [f"{code_label}: {code}", f"{organiser_label}: {event.organiser}"]
    if event.agenda:
        lines += ["", f"{agenda_label}:"]
        for item in event.agenda:
            lines.append(f"- {item.time} {item.title}" if item.time else f"- {item.title}")
    extra_lines = [line for line in extra if line]
    if extra_lines:
        lines += ["", *extra_lines]
    return "\n".join(lines)


def _zone(tz: tzinfo | None) -> tzinfo:
    """The zone to write times in: an IANA zone (written with TZID and VTIMEZONE), else UTC."""
    return tz if isinstance(tz, ZoneInfo) and tz.key else UTC


def calendar_file(
    event: Event,
    rsvp: Rsvp,
    *,
    description: str,
    alarm_text: str,
    tz: tzinfo | None = None,
    stamp: datetime | None = None,
) -> bytes:
    """The .ics bytes of ``rsvp``'s seat at ``event``."""
    zone = _zone(tz)
    cal = icalendar.Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    vevent = icalendar.Event()
    vevent.add("uid", uid_of(rsvp))
    vevent.add("dtstamp", (stamp or datetime.now(UTC)).astimezone(UTC))
    vevent.add("dtstart", event.starts_at.astimezone(zone))
    vevent.add("dtend", event.ends_at.astimezone(zone))
    vevent.add("summary", event.title)
    location = location_of(event)
    if location:
        vevent.add("location", location)
    vevent.add("description", description)
    if event.map_url:
        vevent.add("url", event.map_url)
    vevent.add("status", "CONFIRMED")
    vevent.add("transp", "OPAQUE")
    for minutes in event.reminders:
        alarm = icalendar.Alarm()
        alarm.add("action", "DISPLAY")
        alarm.add("trigger", timedelta(minutes=-minutes))
        alarm.add("description", alarm_text)
        vevent.add_component(alarm)
    cal.add_component(vevent)
    if zone is not UTC:
        cal.add_missing_timezones()
    return bytes(cal.to_ical())
