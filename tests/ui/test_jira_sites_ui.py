"""The Jira page lists the other sites of `jira.sites` read-only (issue 18's several sites):
each with its deployment, URL, kind of authentication and the webhook URL its Jira points at,
never its secret; a single-site deployment shows no such list."""

from __future__ import annotations

from pathlib import Path

from ui_harness import signed_in

SECRET_PAT = "dc-pat-never-shown-0123"
SITES = f"""\
jira:
  sites:
    cloud:
      url: https://acme.atlassian.net
      auth: {{type: token, email: ops@acme.com, api_token: cloud-token-never-shown}}
    dc:
      flavor: datacenter
      url: https://jira.acme.example
      auth: {{type: pat, token: {SECRET_PAT}}}
"""


async def test_the_other_sites_are_listed_without_their_secrets(tmp_path: Path) -> None:
    async with signed_in(tmp_path, SITES) as (http, _container):
        page = (await http.get("/ui/jira")).text
    listed = page.split('id="other-sites"', 1)[1].split("</table>", 1)[0]
    assert "<td>dc</td><td>Jira Data Center / Server</td>" in listed
    assert "https://jira.acme.example/" in listed
    assert "<code>/v1/jira/sites/dc/webhook</code>" in listed
    assert "cloud" not in listed  # the default site is the connection above, not a row
    assert SECRET_PAT not in page
    assert "cloud-token-never-shown" not in page


async def test_one_site_shows_no_list(tmp_path: Path) -> None:
    async with signed_in(tmp_path, None) as (http, _container):
        page = (await http.get("/ui/jira")).text
    assert 'id="other-sites"' not in page
