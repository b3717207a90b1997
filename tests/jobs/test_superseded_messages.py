"""Only the latest message of a job run runs it: after the requeue sweep sent a run again, its
older message is dropped (the two never run the same job at once); a run with no recorded
message id, or one the sweep is sending right now, accepts any message."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest
from dramatiq.middleware import CurrentMessage

from jobs.actors import superseded
from jobs.requeue import MARKER_PREFIX


def _current(monkeypatch: pytest.MonkeyPatch, message_id: str | None) -> None:
    message = None if message_id is None else SimpleNamespace(message_id=message_id)
    monkeypatch.setattr(CurrentMessage, "get_current_message", staticmethod(lambda: message))


def _run(message_id: str | None) -> Any:
    return SimpleNamespace(message_id=message_id)


def test_an_older_message_of_a_run_sent_again_is_dropped(monkeypatch):
    _current(monkeypatch, "first")
    assert superseded(_run("second"))
    _current(monkeypatch, "second")
    assert not superseded(_run("second"))


def test_without_a_recorded_id_or_during_a_resend_any_message_runs(monkeypatch):
    _current(monkeypatch, "first")
    assert not superseded(_run(None))
    assert not superseded(_run(f"{MARKER_PREFIX}abc"))
    _current(monkeypatch, None)  # called outside a worker
    assert not superseded(_run("second"))
