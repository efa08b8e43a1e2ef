"""The article's webinar track, for attendees and for registrants who missed the session.

The lead is enrolled when they register. Attendance arrives as a `webinar_attended`
event by the end of the session (attribute `webinar_ends_at`, ISO time with zone;
one day after enrolment if absent). Questions and high survey interest score extra
points through the scoring model, not here.
"""

from datetime import timedelta

from nurture.authoring import Goal, Lead, Reenrol, Scenario

REPORT_GRACE = timedelta(hours=3)  # attendance reports often arrive after the session ends


async def webinar(lead: Lead) -> None:
    session_end = lead.attribute_time("webinar_ends_at", lead.enrolled_at + timedelta(days=1))
    attended = lead.did("webinar_attended") or await lead.wait_for(
        "webinar_attended", until=session_end + REPORT_GRACE
    )
    if not attended:
        await lead.send("missed-recording")  # the recording + an invite to the next session
        return
    await lead.send("thanks-recording")  # same day: thanks + slides and recording
    await lead.wait(days=2)
    await lead.send("questions-followup")  # within 2 days: the questions and themes raised
    await lead.wait(days=5)
    await lead.send("consultation-offer")  # within a week: hearing or free consultation


WEBINAR = Scenario(
    name="webinar",
    run=webinar,
    goal=Goal(events=("meeting_booked",), label="a meeting booked"),
    reenrol=Reenrol.always(),  # every webinar is a new series
)
