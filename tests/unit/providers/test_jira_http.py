"""The HTTP client's settings: a CA bundle that cannot be used is refused, naming the field."""

from __future__ import annotations

from pathlib import Path

import pytest

from ticketbridge.errors import ConfigError
from ticketbridge.providers.jira.client import HttpSettings, make_http


def test_missing_ca_bundle_is_a_config_error_naming_the_field(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        make_http(HttpSettings("https://jira.example.com", ca_bundle=str(tmp_path / "none.pem")))
    assert caught.value.problems[0].path == "jira.ca_bundle"


def test_garbage_ca_bundle_is_a_config_error(tmp_path: Path) -> None:
    bundle = tmp_path / "ca.pem"
    bundle.write_text("not a certificate")
    with pytest.raises(ConfigError):
        make_http(HttpSettings("https://jira.example.com", ca_bundle=str(bundle)))
