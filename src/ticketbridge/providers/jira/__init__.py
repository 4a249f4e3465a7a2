"""ticketbridge.providers.jira: the Provider port over Jira Cloud and Data Center.

`JiraProvider` composes a thin client (`client`), the flavour's dialect (`dialect`), auth
(`auth`; `oauth2` for api.atlassian.com), error translation (`errors`), retries and rate limits
(`retry`, `ratelimit`), metadata caches and field shaping (`fields`, `shaping`, `bodies`) and
the JQL builder (`jql`).
"""

from ticketbridge.providers.jira.auth import api_token, basic, personal_access_token
from ticketbridge.providers.jira.provider import JiraProvider

__all__ = [
    "JiraProvider",
    "api_token",
    "basic",
    "personal_access_token",
]
