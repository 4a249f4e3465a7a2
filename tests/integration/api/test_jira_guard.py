"""`PUT /v1/integrations/jira` and its connection test cannot be used to reach or read the
network ticketbridge runs in (SSRF): guarded URLs are refused naming `url`, and the test never
returns what the target answered."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import httpx
import pytest
from api_harness import Api, open_api

from ticketbridge import bootstrap
from ticketbridge.config.schema import Config
from ticketbridge.providers.outbound import GuardedTransport

MARKER = "INTERNAL-ONLY-7f3a"  # what a service inside the network would answer
CLOUD = {
    "flavor": "cloud",
    "auth": {"type": "token", "email": "ops@acme.com", "api_token": "s3cret-token"},
}


@pytest.mark.parametrize(
    "url",
    [
        "http://169.254.169.254/latest/meta-data/",
        "https://169.254.169.254",
        "https://10.0.0.5",
        "https://192.168.1.1",
        "https://127.0.0.1:8080",
        "https://[::1]",
        "https://[::ffff:169.254.169.254]",
        "https://2130706433",  # 127.0.0.1 in decimal
        "https://0x7f.1",
        "https://0177.0.0.1",  # octal
        "http://jira.acme.com",  # credentials in clear
    ],
)
async def test_put_refuses_a_guarded_url_naming_it_and_stores_nothing(
    api: Api, tmp_path: Path, url: str
) -> None:
    body = CLOUD | {"url": url, "allow_private": True, "allow_plain_http": True}  # not the API's
    response = await api.client.put("/v1/integrations/jira", json=body, headers=api.auth("admin"))
    assert response.status_code == 422, response.text
    assert [p["path"] for p in response.json()["problems"]] == ["url"]
    assert not (tmp_path / "jira-connection.json").exists()


@pytest.mark.parametrize("status", [400, 401, 403, 404, 500, 503])
async def test_the_connection_test_never_returns_what_the_target_answered(
    tmp_path: Path, status: int
) -> None:
    def internal_service(request: httpx.Request) -> httpx.Response:
        body = {"errorMessages": [f"{MARKER} admin console"], "message": MARKER}
        return httpx.Response(status, json=body, headers={"content-type": "application/json"})

    config = _config("https://jira.acme.example")
    transport = httpx.MockTransport(internal_service)
    async with open_api(tmp_path, config, transport=transport) as api:
        response = await api.client.post("/v1/integrations/jira/test", headers=api.auth("admin"))
    assert response.status_code in (502, 503)
    assert MARKER not in response.text
    assert f"Jira answered {status} to GET myself" in response.json()["message"]


async def test_the_connection_test_of_a_name_resolving_to_metadata_sends_nothing(
    tmp_path: Path,
) -> None:
    """The stored URL is a name; at test time it resolves to the metadata service."""
    sent: list[httpx.Request] = []

    def wire(request: httpx.Request) -> httpx.Response:
        sent.append(request)
        return httpx.Response(200, json={"accountId": MARKER})

    async def metadata(host: str, port: int) -> Sequence[str]:
        return ["169.254.169.254"]

    config = _config("https://rebind.attacker.example")
    assert config.jira is not None
    policy = bootstrap.outbound_policy(config.jira)
    guarded = GuardedTransport(httpx.MockTransport(wire), policy, metadata)
    async with open_api(tmp_path, config, transport=guarded) as api:
        response = await api.client.post("/v1/integrations/jira/test", headers=api.auth("admin"))
    assert response.status_code == 502
    assert "169.254.169.254 is link-local" in response.json()["message"]
    assert sent == []


def _config(url: str) -> Config:
    return Config.model_validate({"jira": CLOUD | {"url": url}})
