"""ticketbridge.workers: the decision loop and the outbox dispatcher (and, later, schedulers)."""

from ticketbridge.workers.decisions import DecisionLoop
from ticketbridge.workers.dispatcher import Dispatcher
from ticketbridge.workers.jira_deliveries import DeliveryLoop
from ticketbridge.workers.jira_watch import JiraWatch

__all__ = ["DecisionLoop", "DeliveryLoop", "Dispatcher", "JiraWatch"]
