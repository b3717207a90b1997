"""Fixtures of the job tests: ``broker_url`` (each broker in turn) and ``broker_settings``."""

from tests.jobs.worker_harness import broker_settings, broker_url

__all__ = ["broker_settings", "broker_url"]
