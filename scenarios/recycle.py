"""Leads sales sent back (rejected, or not picked up in time): a slower track.

Behaviour points were reset when the lead came back, so it must show fresh interest
to qualify again; when it does, it goes to sales as a new handoff.
"""

from nurture.authoring import Lead, Reenrol, Scenario


async def recycle(lead: Lead) -> None:
    await lead.wait(days=30)
    await lead.send("check-in")  # a month on: what changed, what is new
    await lead.wait(days=30)
    await lead.send("new-content")  # the latest guide or case study


RECYCLE = Scenario(
    name="recycle",
    run=recycle,
    reenrol=Reenrol.always(),
)
