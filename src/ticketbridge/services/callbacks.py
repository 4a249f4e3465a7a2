"""The callback sender: claims `callback` jobs from the outbox and sends them to the source,
and `notify` jobs (stale escalation's Slack messages, services/escalation.py) to Slack.

Durable like every outbox job: a job is leased, and completed only in the transaction after
the source's 2xx; a worker killed mid-request leaves it to run again when its lease expires,
with the same `Idempotency-Key` (callback_requests.py), so a repeat is a retry the source can
recognise. Jobs of one ticket run one at a time, in order (their own ordering key, apart from
the ticket's Jira writes: neither holds the other).

What the source answers decides: 2xx done; 408, 425, 429 (its Retry-After a floor), 5xx, a
timeout or no connection are retried with the outbox's backoff; any other answer is
dead-lettered with the status and the start of the body (`outbox list`, `outbox retry`). A
target the SSRF guard refuses (providers/outbound.py: the name resolved once, the request sent
to the checked address; no redirects followed) is dead at once, nothing sent.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

import httpx
import structlog
from pydantic import SecretStr

from ticketbridge.clock import Clock
from ticketbridge.domain import Alert, AlertState, JobKind, Ticket, TicketPolicy
from ticketbridge.domain.records import Job
from ticketbridge.domain.states import OUTWARD_KINDS
from ticketbridge.errors import (
    ConfigError,
    DestinationRefused,
    JiraError,
    PermanentError,
    Problem,
    RateLimited,
    Timeout,
    Unavailable,
)
from ticketbridge.providers.outbound import (
    GuardedTransport,
    OutboundPolicy,
    Resolver,
    system_resolver,
)
from ticketbridge.services.audit_trail import callback_sent_event
from ticketbridge.services.callback_requests import (
    CallbackRequest,
    CallbackTargets,
    callback_context,
    slack_request,
)
from ticketbridge.services.escalation import slack_message
from ticketbridge.services.failures import DraftFailed
from ticketbridge.services.outbox_outcomes import JobOutcomes
from ticketbridge.services.ports import UnitOfWorkFactory
from ticketbridge.services.settings import EscalationSettings, WorkerSettings

log = structlog.get_logger(__name__)
_CONCURRENCY = 8
_RETRIED = frozenset({408, 425, 429})
_ANSWER_SHOWN = 300  # characters of the target's answer kept on a dead job
SLACK = "Slack (sync.notify.slack_webhook)"


@dataclass(frozen=True)
class _Target:
    name: str  # for messages: "callback 'keeptrusts'", "Slack"
    request: CallbackRequest
    allow_private: bool
    timeout: float
    secret_path: bool = False  # the URL's path is the credential (Slack): never shown

    @property
    def where(self) -> str:
        """The target for messages: without its query (a token may be written there), and
        without its path when that is the secret."""
        parsed = httpx.URL(self.request.url)
        path = "/…" if self.secret_path else parsed.path
        return f"{parsed.scheme}://{parsed.host}{path}"


@dataclass(frozen=True)
class _Loaded:
    job: Job
    ticket: Ticket
    alert: Alert | None


class CallbackSender:
    """Runs the outbox's callback jobs (`run_once`, like `OutboxProcessor`'s)."""

    def __init__(
        self,
        uow_factory: UnitOfWorkFactory,
        targets: CallbackTargets,
        worker: WorkerSettings,
        policy: TicketPolicy,
        clock: Clock,
        owner: str,
        *,
        escalation: EscalationSettings | None = None,
        slack_webhook: SecretStr | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        resolver: Resolver = system_resolver,
    ) -> None:
        """`escalation` and `slack_webhook`: what a `notify` job's Slack message says and where
        it goes; `transport` replaces the network below the guard (tests: a MockTransport);
        `resolver` the DNS (tests: names that resolve to private addresses)."""
        self._escalation = escalation
        self._slack_webhook = slack_webhook
        self._uow = uow_factory
        self._targets = targets
        self._worker = worker
        self._clock = clock
        self.owner = owner
        self._inner = transport or httpx.AsyncHTTPTransport()
        self._resolver = resolver
        self._clients: dict[str, httpx.AsyncClient] = {}
        self._limit = asyncio.Semaphore(_CONCURRENCY)
        self._outcomes = JobOutcomes(uow_factory, worker, policy, clock, owner)

    async def run_once(self) -> int:
        """Claim one batch of runnable callback jobs and send them; how many were claimed."""
        now = self._clock()
        async with self._uow() as uow:
            jobs = await uow.outbox.claim(
                self.owner, now, now + self._worker.lease, self._worker.batch, OUTWARD_KINDS
            )
            loaded: list[_Loaded] = []
            for job in jobs:
                ticket = await uow.tickets.get(job.ticket_id)
                stored = await uow.alerts.get(job.payload.get("source"), job.payload["alert_id"])
                if ticket is not None:
                    loaded.append(_Loaded(job, ticket, stored.alert if stored else None))
            await uow.commit()
        gone = {item.job.id for item in loaded}
        for job in jobs:
            if job.id not in gone:
                await self._fail(job, PermanentError(f"the ticket of job {job.id} is gone"))
        await asyncio.gather(*(self._guarded(item) for item in loaded))
        return len(jobs)

    async def aclose(self) -> None:
        await self._inner.aclose()

    async def _guarded(self, item: _Loaded) -> None:
        async with self._limit:
            try:
                await self._send(item)
            except Exception as error:  # noqa: BLE001 - the worker loop's per-job boundary
                await self._outcomes.crashed(item.job, None, error)

    async def _send(self, item: _Loaded) -> None:
        job = item.job
        if item.alert is None:
            await self._fail(job, PermanentError(f"the alert of {job.kind} job {job.id} is gone"))
            return
        try:
            target = self._target(item, item.alert)
        except ConfigError as error:
            await self._fail(job, DraftFailed(str(error), hint=_config_hint(job)))
            return
        request, name = target.request, target.name
        try:
            response = await self._client(target).request(
                request.method, request.url, content=request.body, headers=request.headers
            )
        except DestinationRefused as refused:
            await self._fail(job, refused)
            return
        except httpx.TimeoutException:
            await self._fail(job, Timeout(f"{name}: {target.where} timed out"))
            return
        except httpx.HTTPError as error:
            why = f"{name}: {target.where}: {type(error).__name__}: {error}"
            await self._fail(job, Unavailable(why))
            return
        failure = _answer_failure(target, response, job)
        if failure is not None:
            await self._fail(job, failure)
            return
        await self._complete(item, target, response.status_code)

    def _target(self, item: _Loaded, alert: Alert) -> _Target:
        """What the job sends, and where the guard's settings come from; a ConfigError when
        the configuration no longer describes it or a template fails for this alert."""
        job, now = item.job, self._clock()
        if job.kind is JobKind.NOTIFY:
            escalation, webhook = self._escalation, self._slack_webhook
            if escalation is None or webhook is None:
                gone = Problem("sync.notify.slack_webhook", "no Slack webhook configured any more")
                raise ConfigError("Slack message not sent", [gone])
            body = slack_message(item.ticket, alert, escalation, job.payload.get("breached_at"))
            request = slack_request(webhook.get_secret_value(), body)
            return _Target(SLACK, request, allow_private=False, timeout=10.0, secret_path=True)
        name, state = str(job.payload["callback"]), AlertState(job.payload["state"])
        context = callback_context(alert, item.ticket, state, name)
        request = self._targets.request(name, job.id, context, now)
        config = self._targets.config(name)
        assert config is not None  # request() refused a callback gone from the configuration
        label = f"callback {name!r}"
        return _Target(label, request, config.allow_private, config.timeout)

    def _client(self, target: _Target) -> httpx.AsyncClient:
        client = self._clients.get(target.name)
        if client is None:
            policy = OutboundPolicy(
                label=target.name,
                allow_private=target.allow_private,
                switches=f"allow_private: true on {target.name}",
            )
            guarded = GuardedTransport(self._inner, policy, self._resolver)
            client = httpx.AsyncClient(
                transport=guarded, follow_redirects=False, timeout=httpx.Timeout(target.timeout)
            )
            self._clients[target.name] = client
        return client

    async def _complete(self, item: _Loaded, target: _Target, status_code: int) -> None:
        """Done, and CALLBACK_SENT in the trail, in one transaction (a lease lost: neither)."""
        job, now = item.job, self._clock()
        async with self._uow() as uow:
            if await uow.outbox.complete([job.id], self.owner, now):
                where = f"{target.name} {target.where}"
                uow.audit.record(
                    [
                        callback_sent_event(
                            job.kind, job.payload, item.ticket, where, status_code, now
                        )
                    ]
                )
                await uow.commit()
        log.debug("outward job sent", job=job.id, kind=job.kind.value)

    async def _fail(self, job: Job, error: JiraError) -> None:
        await self._outcomes.fail(job, None, error, keep_sent=False)


def _answer_failure(target: _Target, response: httpx.Response, job: Job) -> JiraError | None:
    """None for a 2xx; else the error the answer is, with the answer's start in its text."""
    status = response.status_code
    if 200 <= status < 300:
        return None
    answer = " ".join(response.text[:_ANSWER_SHOWN].split())
    sent = f"{target.name}: {target.request.method} {target.where}"
    text = f"{sent} answered {status}: {answer or '(empty)'}"
    if status in _RETRIED and status != 429:
        return Unavailable(text, status=status)
    if status == 429:
        return RateLimited(text, retry_after=_retry_after(response))
    if status >= 500:
        return Unavailable(text, status=status)
    if 300 <= status < 400:
        text += " (redirects are not followed: configure the final URL)"
    return DraftFailed(text, hint=_config_hint(job))


def _retry_after(response: httpx.Response) -> float | None:
    try:
        return float(response.headers.get("Retry-After", ""))
    except ValueError:
        return None


def _config_hint(job: Job) -> str:
    if job.kind is JobKind.NOTIFY:
        where = "`sync.notify.slack_webhook` (Slack answers 404 no_service for a revoked one)"
    else:
        name = job.payload.get("callback")
        where = f"the url, body and token of callback {name!r} in `callbacks:`"
    return (
        f"refused, or it cannot be built: check {where}, then `ticketbridge outbox retry {job.id}`"
    )
