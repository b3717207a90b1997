"""The job layer's exceptions, and which failures a job retries.

    JobError                  every failure the job runtime raises itself
    ├── UnknownConnector      the run names a connector that is missing or was deleted
    ├── UnknownStream         the run names a stream its connector does not declare
    ├── UnknownJobKind        a run of a kind no actor knows (a newer server, a typo)
    ├── JobCancelled          an operator cancelled the run; stop at the next checkpoint
    ├── PoisonMessage         a message no actor can take (arguments of the wrong type, an
    │                         unknown actor): dead-lettered at once, never retried
    └── BrokerUnavailable     the broker did not take a message (retried briefly first)

Retry policy (the broker's Retries middleware asks ``should_retry``):
- config errors fail at once, without retry: ``UnknownConnector``, ``UnknownStream``,
  ``UnknownJobKind`` and ``connectors.errors.ConfigError``; the job run is marked FAILED
  with a message that says what to fix (``is_config_error``);
- ``connectors.errors.PermanentError`` (the remote refused for good) is not retried either:
  the message is dead-lettered at once, to be replayed after the cause is fixed;
- ``JobCancelled`` is not a failure: the run is already CANCELLED, nothing is retried;
- transient failures (``connectors.errors.RetriableError`` and anything unexpected) are
  retried with exponential backoff until the retries run out; then the message is
  dead-lettered (jobs/deadletters.py) and its run marked FAILED.

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


class UnknownJobKind(JobError):
    """A job run of a kind this worker has no job for."""

    kind = "config_error"

    def __init__(self, job_kind: str, known: list[str]) -> None:
        super().__init__(
            f"no job of kind {job_kind!r} in this worker (known: {', '.join(known)}): "
            "upgrade the worker or fix the run's kind"
        )
        self.job_kind = job_kind


class PoisonMessage(JobError):
    """A message that can never succeed as sent: dead-lettered at once, never retried."""

    kind = "record_error"


class BrokerUnavailable(JobError):
    """The broker did not take a message after a few tries; the run stays QUEUED."""

    kind = "transient_error"

    def __init__(self, reason: str) -> None:
        super().__init__(
            f"the job broker is not reachable ({reason}): check CHANNELHUB_BROKER_URL and "
            "that the broker is running; the run stays queued in the database"
        )


class JobCancelled(JobError):
    """The run was cancelled by an operator; the job stops at its next checkpoint."""

    kind = "cancelled"


#: failures that are never retried: retrying cannot fix them
NOT_RETRIED: tuple[type[BaseException], ...] = (
    UnknownConnector,
    UnknownStream,
    UnknownJobKind,
    JobCancelled,
    PoisonMessage,
    ConfigError,
    PermanentError,
)


def should_retry(exc: BaseException) -> bool:
    """Whether a failed job message is worth trying again (see the module docstring)."""
    return not isinstance(exc, NOT_RETRIED)


def is_config_error(exc: BaseException) -> bool:
    """Whether ``exc`` means the configuration must be fixed before the job can work."""
    return isinstance(exc, (UnknownConnector, UnknownStream, UnknownJobKind, ConfigError))
