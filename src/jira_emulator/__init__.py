"""A faithful local Jira (Cloud REST v3 + ADF, Data Center REST v2 + wiki) for tests and demos.

Built from Atlassian's documented shapes (../shared/realworld), never from ticketbridge's client;
it imports nothing from ticketbridge.

    from jira_emulator import Emulator
    emu = Emulator(flavor="cloud")            # or "datacenter"; seed=dict|Path; index_lag=s
    async with httpx.AsyncClient(transport=emu.transport(), base_url=emu.base_url) as client:
        ...
"""

from jira_emulator.app import Emulator, LoggedRequest
from jira_emulator.webhooks import Delivery, sign

__all__ = ["Delivery", "Emulator", "LoggedRequest", "sign"]
