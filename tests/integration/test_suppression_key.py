"""The suppression key read at cold start (`nurture.adapters.secrets.read_suppression_key`) on moto's
SSM: from the unsubscribe secret by default, from SUPPRESSION_SECRET_PARAMETER when set (the
operator's way through a rotation of the unsubscribe secret: docs/delivery.md, "The hash")."""

from __future__ import annotations

from typing import Any

import boto3
import pytest

from nurture.adapters.secrets import read_suppression_key
from nurture.delivery.suppression import suppression_key
from nurture.errors import ConfigurationError
from nurture.settings import EngagementSettings, SuppressionKeySettings

UNSUBSCRIBE = "/nurture/unsubscribe-secret"
SUPPRESSION = "/nurture/suppression-secret"


@pytest.fixture
def ssm(aws: None) -> Any:
    client = boto3.client("ssm", region_name="us-east-1")
    client.put_parameter(Name=UNSUBSCRIBE, Value="the-new-unsubscribe-secret", Type="SecureString")
    client.put_parameter(Name=SUPPRESSION, Value="the-old-unsubscribe-secret", Type="SecureString")
    return client


def settings(**environ: str) -> SuppressionKeySettings:
    return EngagementSettings.from_environ({"TABLE_NAME": "t", "EVENTS_QUEUE_URL": "q", **environ})


@pytest.mark.parametrize("unset", [{}, {"SUPPRESSION_SECRET_PARAMETER": ""}])
def test_by_default_the_key_comes_from_the_unsubscribe_secret(ssm: Any, unset: dict[str, str]) -> None:
    given = settings(UNSUBSCRIBE_SECRET_PARAMETER=UNSUBSCRIBE, **unset)
    assert given.suppression_parameter == UNSUBSCRIBE
    assert read_suppression_key(ssm, given) == suppression_key("the-new-unsubscribe-secret")


def test_a_suppression_secret_parameter_when_set_keys_the_hashes_instead(ssm: Any) -> None:
    given = settings(UNSUBSCRIBE_SECRET_PARAMETER=UNSUBSCRIBE, SUPPRESSION_SECRET_PARAMETER=SUPPRESSION)
    assert read_suppression_key(ssm, given) == suppression_key("the-old-unsubscribe-secret")
    # Even for a sender that has read the unsubscribe secret already
    known = read_suppression_key(ssm, given, unsubscribe_secret_value="the-new-unsubscribe-secret")
    assert known == suppression_key("the-old-unsubscribe-secret")


def test_a_sender_that_read_the_unsubscribe_secret_does_not_read_it_again() -> None:
    class NoSsm:
        def get_parameter(self, **_: Any) -> Any:
            raise AssertionError("a second GetParameter")

    given = settings(UNSUBSCRIBE_SECRET_PARAMETER=UNSUBSCRIBE)
    key = read_suppression_key(NoSsm(), given, unsubscribe_secret_value="the-new-unsubscribe-secret")
    assert key == suppression_key("the-new-unsubscribe-secret")


def test_a_short_suppression_secret_fails_at_cold_start_naming_the_parameter(ssm: Any) -> None:
    ssm.put_parameter(Name=SUPPRESSION, Value="short", Type="SecureString", Overwrite=True)
    given = settings(UNSUBSCRIBE_SECRET_PARAMETER=UNSUBSCRIBE, SUPPRESSION_SECRET_PARAMETER=SUPPRESSION)
    with pytest.raises(
        ConfigurationError, match=f"{SUPPRESSION}: the suppression secret must be at least 16"
    ) as raised:
        read_suppression_key(ssm, given)
    assert "short" not in str(raised.value)


def test_a_missing_parameter_is_a_configuration_error(ssm: Any) -> None:
    given = settings(UNSUBSCRIBE_SECRET_PARAMETER="/nurture/nowhere")
    with pytest.raises(ConfigurationError, match="/nurture/nowhere does not exist"):
        read_suppression_key(ssm, given)


def test_the_unsubscribe_secret_parameter_is_required() -> None:
    with pytest.raises(ConfigurationError, match="UNSUBSCRIBE_SECRET_PARAMETER"):
        settings()
