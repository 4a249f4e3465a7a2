"""ticketbridge.providers.jira: the Provider port over Jira Cloud and Data Center.

`JiraProvider` composes a thin client (`client`), the flavour's dialect (`dialect`), auth
(`auth`), error translation (`errors`), retries and rate limits (`retry`, `ratelimit`),
metadata caches and field shaping (`fields`, `shaping`, `bodies`) and the JQL builder (`jql`).
"""

from ticketbridge.providers.jira.auth import (
    OAuth2ThreeLegged,
    api_token,
    basic,
    oauth_base_url,
    personal_access_token,
)
from ticketbridge.providers.jira.provider import JiraProvider

__all__ = [
    "JiraProvider",
    "OAuth2ThreeLegged",
    "api_token",
    "basic",
    "oauth_base_url",
    "personal_access_token",
]
