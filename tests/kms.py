"""A symmetric key in moto's fake AWS KMS, for tests of the KMS key-encryption-key provider."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import boto3  # type: ignore[import-untyped]
import pytest
from moto import mock_aws

REGION = "eu-central-1"


@contextmanager
def fake_kms_key(monkeypatch: pytest.MonkeyPatch, description: str) -> Iterator[str]:
    """The ARN of a new key, with AWS credentials faked for the duration."""
    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_DEFAULT_REGION": REGION,
    }.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    with mock_aws():
        client = boto3.client("kms", region_name=REGION)
        yield client.create_key(Description=description)["KeyMetadata"]["Arn"]
