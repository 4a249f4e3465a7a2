"""ticketbridge.workers: the decision loop and the outbox dispatcher and the scheduler."""

from ticketbridge.workers.decisions import DecisionLoop
from ticketbridge.workers.dispatcher import Dispatcher
from ticketbridge.workers.heartbeat import Heartbeat
from ticketbridge.workers.jira_deliveries import DeliveryLoop
from ticketbridge.workers.jira_watch import JiraWatch
from ticketbridge.workers.scheduler import Scheduler

__all__ = ["DecisionLoop", "DeliveryLoop", "Dispatcher", "Heartbeat", "JiraWatch", "Scheduler"]
