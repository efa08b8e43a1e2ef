"""The long-term track: where every lead goes when its scenario ends without qualifying.

A monthly mail on a working morning, for as long as the lead stays subscribed; behaviour
keeps scoring, so a lead that wakes up is handed to sales like any other.
"""

from datetime import time

from nurture.authoring import Lead, Reenrol, Scenario


async def newsletter(lead: Lead) -> None:
    while True:
        await lead.wait(days=28)
        await lead.wait_business_days(0, at=time(10, 0))  # the next working morning
        await lead.send("monthly")


NEWSLETTER = Scenario(
    name="newsletter",
    run=newsletter,
    reenrol=Reenrol.always(),
)
