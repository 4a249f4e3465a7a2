"""ticketbridge.workers: the outbox dispatcher (and, later, schedulers)."""

from ticketbridge.workers.dispatcher import Dispatcher

__all__ = ["Dispatcher"]
