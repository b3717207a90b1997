"""Retries and error classification: every failure is classified, bounded and secret-free."""

from __future__ import annotations

from email.utils import format_datetime
from typing import Any

import httpx
import pytest

from connectors.errors import (
    ConfigError,
    PermanentError,
    RateLimitedError,
    RetriableError,
)
from connectors.rest.testing import (
    WALL,
    FakeTime,
    config,
    html_response,
    json_response,
    open_connector,
    read_all,
)

pytestmark = pytest.mark.anyio

SECRET = "k3y/with+odd=chars?&x"
API_KEY_IN_QUERY = {"type": "api_key", "in": "query", "name": "api_key", "key": SECRET}
OK = {"data": [{"id": 1}]}


class Script:
    """Answers requests from a list of responses (or exceptions), recording each request."""

    def __init__(self, *answers: httpx.Response | Exception) -> None:
        self.answers = list(answers)
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        answer = self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]
        if isinstance(answer, Exception):
            raise answer
        return answer


def assert_secret_free(exc: BaseException) -> None:
    """No secret in the message, the repr, or any exception a traceback would print."""
    shown: BaseException | None = exc
    while shown is not None:
        for text in (str(shown), repr(shown)):
            assert SECRET not in text
            assert "k3y" not in text
        shown = shown.__cause__ or (None if shown.__suppress_context__ else shown.__context__)


async def _read(script: Script, fake: FakeTime | None = None, **connection: Any):
    cfg = config(auth=API_KEY_IN_QUERY, **connection)
    async with open_connector(cfg, script, fake) as connector:
        return await read_all(connector)


async def test_429_with_retry_after_seconds_waits_that_long_then_succeeds():
    fake = FakeTime()
    script = Script(json_response({}, 429, **{"Retry-After": "7"}), json_response(OK))
    pages = await _read(script, fake)
    assert pages[0].records == [{"id": 1}]
    assert fake.sleeps == [7.0]


async def test_429_with_retry_after_http_date_waits_until_then():
    fake = FakeTime()
    when = format_datetime(WALL.replace(second=30), usegmt=True)
    script = Script(json_response({}, 429, **{"Retry-After": when}), json_response(OK))
    await _read(script, fake)
    assert fake.sleeps == [30.0]


async def test_429_beyond_the_time_budget_raises_rate_limited_with_retry_after():
    script = Script(json_response({}, 429, **{"Retry-After": "600"}))
    with pytest.raises(RateLimitedError) as caught:
        await _read(script)
    assert caught.value.retry_after == 600.0
    assert len(script.requests) == 1
    assert_secret_free(caught.value)


async def test_500_then_success_backs_off_with_jitter_within_bounds():
    fake = FakeTime()
    script = Script(json_response({}, 500), json_response({}, 503), json_response(OK))
    pages = await _read(script, fake)
    assert pages[0].records == [{"id": 1}]
    assert len(fake.sleeps) == 2
    assert 0.5 <= fake.sleeps[0] <= 1.0  # base 1s, jittered in [base/2, base]
    assert 1.0 <= fake.sleeps[1] <= 2.0


async def test_timeouts_retry_then_raise_retriable_after_the_attempt_bound():
    fake = FakeTime()
    script = Script(httpx.ReadTimeout("read timed out"))
    with pytest.raises(RetriableError) as caught:
        await _read(script, fake)
    assert len(script.requests) == 4
    assert len(fake.sleeps) == 3
    assert "timed out" in str(caught.value)
    assert "4 attempt(s)" in str(caught.value)
    assert_secret_free(caught.value)


async def test_retries_stop_at_the_elapsed_time_bound():
    fake = FakeTime()
    script = Script(httpx.ConnectError("connection refused"))
    retries = {"max_attempts": 50, "max_elapsed_seconds": 10, "base_delay": 2, "max_delay": 8}
    with pytest.raises(RetriableError) as caught:
        await _read(script, fake, retries=retries)
    assert sum(fake.sleeps) <= 10
    assert len(script.requests) < 50
    assert "could not reach the server" in str(caught.value)
    assert_secret_free(caught.value)


async def test_unreachable_url_is_retriable_and_names_the_connector():
    with pytest.raises(RetriableError) as caught:
        await _read(Script(httpx.ConnectError("[Errno 111] Connection refused")))
    assert str(caught.value).startswith("erp: stream 'orders': GET http://erp.test/api/orders")
    assert caught.value.connector == "erp"
    assert_secret_free(caught.value)


async def test_html_error_page_is_permanent_and_names_the_content_type():
    with pytest.raises(PermanentError) as caught:
        await _read(Script(html_response(200)))
    assert "expected a JSON body but got text/html" in str(caught.value)
    assert_secret_free(caught.value)


async def test_html_502_is_retried_then_retriable():
    with pytest.raises(RetriableError) as caught:
        await _read(Script(html_response(502)))
    assert "HTTP 502" in str(caught.value)
    assert_secret_free(caught.value)


async def test_malformed_json_is_permanent():
    broken = httpx.Response(200, text='{"data": [', headers={"content-type": "application/json"})
    with pytest.raises(PermanentError) as caught:
        await _read(Script(broken))
    assert "malformed JSON body" in str(caught.value)
    assert_secret_free(caught.value)


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ({"data": {"id": 1}}, "matched a dict, not a list"),
        ({"items": []}, "matched nothing"),
        ({"data": [1, 2]}, "item 0 is a int, not an object"),
    ],
)
async def test_response_not_matching_the_record_selector_is_permanent(body, expected):
    with pytest.raises(PermanentError) as caught:
        await _read(Script(json_response(body)))
    assert expected in str(caught.value)
    assert "'data'" in str(caught.value)
    assert_secret_free(caught.value)


@pytest.mark.parametrize("status", [401, 403])
async def test_rejected_credentials_are_a_config_error_without_retry(status):
    script = Script(json_response({"error": f"bad key {SECRET}"}, status))
    with pytest.raises(ConfigError) as caught:
        await _read(script)
    assert len(script.requests) == 1
    assert f"credentials were rejected (HTTP {status})" in str(caught.value)
    assert_secret_free(caught.value)


async def test_other_4xx_is_permanent_and_quotes_the_scrubbed_body():
    script = Script(json_response({"error": f"no such thing, key={SECRET}"}, 404))
    with pytest.raises(PermanentError) as caught:
        await _read(script)
    assert len(script.requests) == 1
    assert "HTTP 404" in str(caught.value)
    assert "no such thing, key=***" in str(caught.value)
    assert_secret_free(caught.value)


async def test_unknown_stream_is_a_config_error():
    async with open_connector(config(), Script(json_response(OK))) as connector:
        with pytest.raises(ConfigError, match="unknown stream 'nope'"):
            await read_all(connector, "nope")
