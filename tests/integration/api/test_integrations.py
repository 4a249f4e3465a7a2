"""GET/PUT /v1/integrations/jira and POST /v1/integrations/jira/test (admin scope)."""

from __future__ import annotations

from pathlib import Path

from api_harness import Api

CLOUD = {
    "flavor": "cloud",
    "url": "https://acme.atlassian.net",
    "auth": {"type": "token", "email": "ops@acme.com", "api_token": "s3cret-token"},
    "project_key": "OPS",
}


async def test_no_connection_yet(api: Api) -> None:
    response = await api.client.get("/v1/integrations/jira", headers=api.auth("admin"))
    assert response.json()["configured"] is False
    refused = await api.client.post("/v1/integrations/jira/test", headers=api.auth("admin"))
    assert refused.status_code == 409
    assert refused.json()["problems"][0]["path"] == "jira"


async def test_put_stores_the_connection_encrypted_and_never_returns_the_secret(
    api: Api, tmp_path: Path
) -> None:
    response = await api.client.put("/v1/integrations/jira", json=CLOUD, headers=api.auth("admin"))
    assert response.status_code == 200, response.text
    assert "s3cret-token" not in response.text
    current = (await api.client.get("/v1/integrations/jira", headers=api.auth("admin"))).json()
    assert current == {
        "configured": True,
        "origin": "stored",
        "flavor": "cloud",
        "url": "https://acme.atlassian.net/",
        "auth_type": "token",
        "user": "ops@acme.com",
        "project_key": "OPS",
        "projects": [],
        "link_pattern": None,
        "capture_fields": None,
    }
    stored = (tmp_path / "jira-connection.json").read_text()
    assert "s3cret-token" not in stored


async def test_put_refuses_a_bad_connection_naming_the_field(api: Api) -> None:
    bad = CLOUD | {"auth": {"type": "pat", "token": "x"}}  # PAT is Data Center's
    response = await api.client.put("/v1/integrations/jira", json=bad, headers=api.auth("admin"))
    assert response.status_code == 422
    assert "pat" in str(response.json()["problems"])
    missing = CLOUD | {"auth": {"type": "token", "email": "ops@acme.com"}}
    response = await api.client.put(
        "/v1/integrations/jira", json=missing, headers=api.auth("admin")
    )
    assert response.status_code == 422
    assert any(p["path"].endswith("api_token") for p in response.json()["problems"])


async def test_only_admins(api: Api) -> None:
    response = await api.client.get("/v1/integrations/jira", headers=api.auth("read"))
    assert response.status_code == 403


async def test_connection_test_against_the_emulator(api_with_jira: Api) -> None:
    api = api_with_jira
    response = await api.client.post("/v1/integrations/jira/test", headers=api.auth("admin"))
    assert response.status_code == 200, response.text
    report = response.json()
    assert (report["flavor"], report["api_version"]) == ("cloud", "3")
    assert {"OPS", "AIGOV", "COMPLIANCE", "SEC", "INFRA"} <= set(report["projects"])
    assert "admin@example.com" in report["user"]
    current = (await api.client.get("/v1/integrations/jira", headers=api.auth("admin"))).json()
    assert current["origin"] == "ticketbridge.yaml"
    refused = await api.client.put("/v1/integrations/jira", json=CLOUD, headers=api.auth("admin"))
    assert refused.status_code == 409


OAUTH2 = CLOUD | {
    "auth": {"type": "oauth2", "client_id": "app", "client_secret": "app-secret", "cloud_id": "c1"}
}


async def test_put_refuses_oauth2_with_no_tokens_behind_it(api: Api) -> None:
    response = await api.client.put("/v1/integrations/jira", json=OAUTH2, headers=api.auth("admin"))
    assert response.status_code == 422, response.text
    problems = response.json()["problems"]
    assert [p["path"] for p in problems] == ["auth.refresh_token"]
    assert "ticketbridge config jira --oauth" in problems[0]["message"]
    assert "app-secret" not in response.text
    current = (await api.client.get("/v1/integrations/jira", headers=api.auth("admin"))).json()
    assert current["configured"] is False


async def test_put_takes_oauth2_with_a_refresh_token_to_start_from(api: Api) -> None:
    seeded = OAUTH2 | {"auth": OAUTH2["auth"] | {"refresh_token": "first-refresh"}}
    response = await api.client.put("/v1/integrations/jira", json=seeded, headers=api.auth("admin"))
    assert response.status_code == 200, response.text
    assert response.json()["auth_type"] == "oauth2"
