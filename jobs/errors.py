"""The job layer's exceptions, and which failures a job retries.

    JobError                  every failure the job runtime raises itself
    ├── UnknownConnector      the run names a connector that is missing or was deleted
    ├── UnknownStream         the run names a stream its connector does not declare
    └── JobCancelled          an operator cancelled the run; stop at the next checkpoint

Retry policy (the broker's Retries middleware asks ``should_retry``):
- config errors fail at once, without retry: ``UnknownConnector``, ``UnknownStream`` and
  ``connectors.errors.ConfigError`` (and ``PermanentError``: the remote refused for good);
  the job run is marked FAILED with a message that says what to fix;
- ``JobCancelled`` is not a failure: the run is already CANCELLED, nothing is retried;
- transient failures (``connectors.errors.RetriableError`` and anything unexpected) are
  retried with exponential backoff until the retries run out; then the message is
  dead-lettered (jobs/deadletters.py).

Messages never carry secrets: connector errors are scrubbed before they are built.
"""

from __future__ import annotations

from connectors.errors import ConfigError, PermanentError


class JobError(Exception):
    """Base of every failure raised by the job runtime; ``kind`` classifies it like
    ``connectors.errors.ConnectorError.kind`` does."""

    kind = "system_error"


class UnknownConnector(JobError):
    """A run names a connector that is not stored (never applied, or deleted since)."""

    kind = "config_error"

    def __init__(self, name: str) -> None:
        super().__init__(
            f"connector {name!r} does not exist (deleted or never applied): "
            "apply it with `channelhub connectors apply` or fix the run's connector name"
        )
        self.name = name


class UnknownStream(JobError):
    """A run names a stream its connector does not declare."""

    kind = "config_error"

    def __init__(self, connector: str, stream: str) -> None:
        super().__init__(
            f"connector {connector!r} has no stream {stream!r}: "
            "add it to the connector config or fix the run's stream name"
        )
        self.connector = connector
        self.stream = stream


class JobCancelled(JobError):
    """The run was cancelled by an operator; the job stops at its next checkpoint."""

    kind = "cancelled"


#: failures that are never retried: retrying cannot fix them
NOT_RETRIED: tuple[type[BaseException], ...] = (
    UnknownConnector,
    UnknownStream,
    JobCancelled,
    ConfigError,
    PermanentError,
)


def should_retry(exc: BaseException) -> bool:
    """Whether a failed job message is worth trying again (see the module docstring)."""
    return not isinstance(exc, NOT_RETRIED)


def is_config_error(exc: BaseException) -> bool:
    """Whether ``exc`` means the configuration must be fixed before the job can work."""
    return isinstance(exc, (UnknownConnector, UnknownStream, ConfigError))
