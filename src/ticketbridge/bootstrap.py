"""Composition root: the one place that picks concrete storage, providers and services and wires
them together. Everything else depends on Protocols."""
