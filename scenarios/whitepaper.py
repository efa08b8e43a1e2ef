"""The article's whitepaper track: thanks on day 1, case studies on day 3, an offer on day 7."""

from datetime import timedelta

from nurture.authoring import Goal, Lead, Reenrol, Scenario

ENGAGED = ("case_study_download", "pricing_page_view", "email_click", "webinar_registered")


async def whitepaper(lead: Lead) -> None:
    await lead.send("thanks")  # day 1: thank you + the key points of the paper
    await lead.wait(days=2)
    await lead.send("case-studies")  # day 3: related case studies and common solutions
    await lead.wait(days=4)
    if lead.did(*ENGAGED, within=timedelta(days=6)):  # day 7
        await lead.send("demo-offer")  # engaged: individual consultation or demo
    else:
        await lead.send("hearing")  # quiet: "anything else troubling you?"


WHITEPAPER = Scenario(
    name="whitepaper",
    run=whitepaper,
    goal=Goal(events=("meeting_booked",), label="a meeting booked"),
    reenrol=Reenrol.at_most_every(days=30),  # another paper within a month: no second series
)
