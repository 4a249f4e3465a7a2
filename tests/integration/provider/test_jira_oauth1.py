"""OAuth 1.0a (Data Center application links, RSA-SHA1) against the emulator: the dance, signed
requests accepted, a tampered signature, a replayed nonce and a foreign key refused."""

from __future__ import annotations

import httpx
import pytest

from jira_emulator import Emulator
from support.keys import rsa_pem_pair
from ticketbridge.api.metrics import Metrics
from ticketbridge.bootstrap.jira import build_provider
from ticketbridge.config.integrations import JiraConfig
from ticketbridge.errors import AuthFailed
from ticketbridge.providers.jira.oauth1 import (
    OAuth1Signer,
    access_token,
    authorize_url,
    request_token,
)


@pytest.fixture(scope="module")
def keys() -> tuple[str, str]:
    return rsa_pem_pair()


@pytest.fixture
def dc(keys: tuple[str, str]) -> Emulator:
    emu = Emulator(flavor="datacenter")
    emu.oauth1.register("ticketbridge", keys[1])
    return emu


async def test_the_dance_gives_a_token_the_provider_signs_with(
    dc: Emulator, keys: tuple[str, str]
) -> None:
    private = keys[0]
    async with httpx.AsyncClient(transport=dc.transport()) as http:
        token = await request_token(http, dc.base_url, "ticketbridge", private)
        shown = (await http.get(authorize_url(dc.base_url, token))).text  # the user approves
        verifier = shown.rpartition(": ")[2]
        access = await access_token(
            http, dc.base_url, "ticketbridge", private, request_token=token, verifier=verifier
        )
    jira = JiraConfig.model_validate(
        {
            "flavor": "datacenter",
            "url": dc.base_url,
            "auth": {
                "type": "oauth1",
                "consumer_key": "ticketbridge",
                "private_key": private,
                "access_token": access,
            },
        }
    )
    provider = build_provider(jira, Metrics(), dc.transport())
    try:
        me = await provider.myself()
        projects = await provider.projects()
    finally:
        await provider.aclose()
    assert me.name == "admin"
    assert projects
    assert dc.requests[-1].headers["authorization"].startswith("OAuth ")


async def test_a_tampered_signature_is_refused(dc: Emulator, keys: tuple[str, str]) -> None:
    token = dc.oauth1.grant("ticketbridge", "admin")
    signer = OAuth1Signer("ticketbridge", keys[0], token)
    async with httpx.AsyncClient(transport=dc.transport(), base_url=dc.base_url) as http:
        good = await http.get("/rest/api/2/myself", auth=signer)
        signed = httpx.Request("GET", f"{dc.base_url}/rest/api/2/myself")
        signed = next(signer.auth_flow(signed))
        # The same signature for another resource: the base string differs.
        moved = httpx.Request(
            "GET",
            f"{dc.base_url}/rest/api/2/project",
            headers={"Authorization": signed.headers["Authorization"]},
        )
        tampered = await http.send(moved)
        replayed = await http.send(signed)  # signed, never sent: first use passes
        again = await http.send(signed)  # the same nonce a second time
    assert good.status_code == 200
    assert tampered.status_code == 401
    assert 'oauth_problem="signature_invalid"' in tampered.headers["www-authenticate"]
    assert replayed.status_code == 200
    assert again.status_code == 401
    assert 'oauth_problem="nonce_used"' in again.headers["www-authenticate"]


async def test_a_key_the_application_link_does_not_know_is_refused(
    dc: Emulator, keys: tuple[str, str]
) -> None:
    other_private, _ = rsa_pem_pair()
    token = dc.oauth1.grant("ticketbridge", "admin")
    async with httpx.AsyncClient(transport=dc.transport(), base_url=dc.base_url) as http:
        forged = await http.get(
            "/rest/api/2/myself", auth=OAuth1Signer("ticketbridge", other_private, token)
        )
        with pytest.raises(AuthFailed):
            await request_token(http, dc.base_url, "ticketbridge", other_private)
    assert forged.status_code == 401
