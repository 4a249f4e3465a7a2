"""ticketbridge.workers: the decision loop and the outbox dispatcher (and, later, schedulers)."""

from ticketbridge.workers.decisions import DecisionLoop
from ticketbridge.workers.dispatcher import Dispatcher

__all__ = ["DecisionLoop", "Dispatcher"]
