"""The Python library: the async `Bridge` and the synchronous facade the seed products taught.

    from ticketbridge.library import JiraIssueHandler, JiraSyncHandler, JiraTemplate

    handler = JiraIssueHandler(cloud_url=..., email=..., api_token=...)
    issue = handler.create_issue_from_alert(alert={...}, project_key="OPS", issue_type="Bug")
    for found in handler.search(jql="project = OPS"):
        print(found.key, found.fields.summary, found.fields.status.name)

Errors raised: `ConfigError` (connection arguments, rules, templates), `InputError` (an alert
or `fields` of the wrong shape, naming the field) and the `JiraError` family of
`ticketbridge.errors` (`AuthFailed`, `Forbidden`, `NotFound`, `FieldErrors`, `RateLimited`,
`Unavailable`, `OutcomeUnknown`, `PermanentError`).
"""

from ticketbridge.library.bridge import DEFAULT_DATABASE_URL, Bridge
from ticketbridge.library.connection import connect
from ticketbridge.library.sync import JiraIssueHandler, JiraSyncHandler
from ticketbridge.library.templates import JiraTemplate
from ticketbridge.library.views import IssueView, JiraObject

__all__ = [
    "DEFAULT_DATABASE_URL",
    "Bridge",
    "IssueView",
    "JiraIssueHandler",
    "JiraObject",
    "JiraSyncHandler",
    "JiraTemplate",
    "connect",
]
