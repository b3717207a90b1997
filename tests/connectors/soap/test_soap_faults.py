"""SOAP faults and HTTP failures map to the connector error classes, without secrets;
WS-Security UsernameToken goes into the envelope (text or digest)."""

from __future__ import annotations

import pytest

from connectors.errors import ConfigError, PermanentError, RetriableError
from connectors.soap import SoapConnector

from .conftest import NavStub
from .test_soap_nav import fake_rows, nav_config, read_all

pytestmark = pytest.mark.anyio

PASSWORD = "Sup3r-secret-pw"


@pytest.mark.parametrize(
    ("code", "error"), [("s:Client", PermanentError), ("s:Server", RetriableError)]
)
async def test_soap_fault_is_classified(nav_stub: NavStub, code: str, error: type) -> None:
    auth = {"type": "wsse_username_token", "username": "u", "password": PASSWORD}
    connector = SoapConnector(nav_config(nav_stub, "Customer", authenticator=auth))
    await connector.discover()
    nav_stub.fault = (code, f"bad thing for {PASSWORD}")
    with pytest.raises(error) as caught:
        await read_all(connector, "customer")
    assert PASSWORD not in str(caught.value)
    assert "bad thing" in str(caught.value)


async def test_wrong_basic_credentials_are_a_config_error(nav_stub: NavStub) -> None:
    nav_stub.basic_auth = ("nav-user", "right-password")
    auth = {"type": "basic", "username": "nav-user", "password": PASSWORD}
    connector = SoapConnector(nav_config(nav_stub, "Customer", authenticator=auth))
    with pytest.raises(ConfigError) as caught:
        await read_all(connector, "customer")
    assert PASSWORD not in str(caught.value)
    result = await connector.check()
    assert not result.ok and result.failed == "wsdl"


async def test_wsdl_that_does_not_parse_is_a_config_error(nav_stub: NavStub) -> None:
    nav_stub.wsdl_override = b"<definitions><not-closed></definitions>"
    connector = SoapConnector(nav_config(nav_stub, "Customer"))
    with pytest.raises(ConfigError):
        await connector.discover()


@pytest.mark.parametrize("digest", [False, True])
async def test_wsse_username_token_is_in_the_envelope(nav_stub: NavStub, digest: bool) -> None:
    nav_stub.records["Customer"] = fake_rows("C", 2)
    auth = {
        "type": "wsse_username_token",
        "username": "ws-user",
        "password": PASSWORD,
        "digest": digest,
    }
    connector = SoapConnector(nav_config(nav_stub, "Customer", authenticator=auth))
    await read_all(connector, "customer")
    _, body = nav_stub.requests[0]
    assert b"UsernameToken" in body and b"ws-user" in body
    if digest:
        assert b"#PasswordDigest" in body and b"Nonce" in body
        assert PASSWORD.encode() not in body
    else:
        assert PASSWORD.encode() in body
