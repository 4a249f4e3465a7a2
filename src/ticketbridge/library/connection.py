"""The seed products' connection arguments, turned into a validated `JiraConfig`.

    connect(cloud_url="https://acme.atlassian.net", email="me@acme.com", api_token="…")
    connect(server_url="https://jira.acme.com", username="admin", password="…")
    connect(server_url="https://jira.acme.com", pat="…")

Exactly one of `cloud_url` / `server_url`; the credentials must fit the flavour. TLS is always
verified: `verify=True` (the system CAs) or a CA bundle path (`verify="/etc/ca.pem"` or
`ca_bundle=…`); `verify=False` is refused. Every refusal is a `ConfigError` naming the argument.
Secrets stay in pydantic `SecretStr`s, so no repr or log line shows them.

The outbound guard (`ticketbridge.providers.outbound`) still applies, with one difference from
the service: here the URL is written by the script's author in code, not received over the API
or from a file someone else may edit, so a Jira on loopback or a private network (an on-premise
Data Center, the emulator) is allowed by default (`allow_private=False` refuses it). The cloud
metadata addresses are refused always, and plain http to another host needs
`allow_plain_http=True`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, TypedDict

from pydantic import ValidationError

from ticketbridge.config.integrations import JiraConfig
from ticketbridge.errors import ConfigError, Problem, problems_of


class Connection(TypedDict, total=False):
    """The connection keywords `connect` takes, forwarded as they are by `Bridge.connect` and the
    handlers (`**connection: Unpack[Connection]`): the names are written here and in `connect`'s
    signature (with their defaults) only."""

    cloud_url: str | None
    server_url: str | None
    email: str | None
    api_token: str | None
    username: str | None
    password: str | None
    pat: str | None
    verify: bool | str | Path
    ca_bundle: str | Path | None
    timeout: float


def connect(
    *,
    cloud_url: str | None = None,
    server_url: str | None = None,
    email: str | None = None,
    api_token: str | None = None,
    username: str | None = None,
    password: str | None = None,
    pat: str | None = None,
    verify: bool | str | Path = True,
    ca_bundle: str | Path | None = None,
    timeout: float = 30.0,
    allow_private: bool = True,
    allow_plain_http: bool = False,
) -> JiraConfig:
    """A `JiraConfig` from keyword arguments as the seeds write them."""
    if (cloud_url is None) == (server_url is None):
        raise ConfigError(
            "cannot connect to Jira",
            [Problem("cloud_url", "give exactly one of cloud_url (Cloud) or server_url (DC)")],
        )
    flavor = "cloud" if cloud_url is not None else "datacenter"
    auth = _auth(flavor, email=email, api_token=api_token, username=username, password=password,
                 pat=pat)  # fmt: skip
    values: dict[str, Any] = {
        "flavor": flavor,
        "url": cloud_url if cloud_url is not None else server_url,
        "auth": auth,
        "timeout": timeout,
        "ca_bundle": _ca_bundle(verify, ca_bundle),
        "allow_private": allow_private,
        "allow_plain_http": allow_plain_http,
    }
    try:
        return JiraConfig.model_validate(values)
    except ValidationError as err:
        problems = problems_of(err, lambda loc: _argument(err_loc=tuple(loc), flavor=flavor))
        raise ConfigError("cannot connect to Jira", problems) from None


def _auth(
    flavor: str,
    *,
    email: str | None,
    api_token: str | None,
    username: str | None,
    password: str | None,
    pat: str | None,
) -> dict[str, Any]:
    if flavor == "cloud":
        if email is None or api_token is None:
            missing = "email" if email is None else "api_token"
            raise ConfigError(
                "cannot connect to Jira Cloud",
                [Problem(missing, "Jira Cloud needs email= and api_token=")],
            )
        return {"type": "token", "email": email, "api_token": api_token}
    if pat is not None:
        return {"type": "pat", "token": pat}
    if username is None or password is None:
        missing = "username" if username is None else "password"
        raise ConfigError(
            "cannot connect to Jira Data Center",
            [Problem(missing, "Jira Data Center needs pat= or username= and password=")],
        )
    return {"type": "basic", "username": username, "password": password}


def _ca_bundle(verify: bool | str | Path, ca_bundle: str | Path | None) -> Path | None:
    if verify is False:
        raise ConfigError(
            "refusing to turn TLS verification off",
            [Problem("verify", "verify=False is not supported; pass a CA bundle path instead")],
        )
    bundle = ca_bundle if ca_bundle is not None else (None if verify is True else verify)
    if bundle is None:
        return None
    path = Path(bundle)
    if not path.is_file():
        name = "ca_bundle" if ca_bundle is not None else "verify"
        raise ConfigError("cannot read the CA bundle", [Problem(name, f"no file at {path}")])
    return path


_ARGUMENTS = {
    ("url",): ("cloud_url", "server_url"),
    ("auth", "token", "email"): ("email", "email"),
    ("timeout",): ("timeout", "timeout"),
}


def _argument(*, err_loc: tuple[Any, ...], flavor: str) -> str:
    """The keyword argument a validation error is about (the config path when unknown)."""
    names = _ARGUMENTS.get(tuple(str(part) for part in err_loc))
    if names is None:
        return ".".join(str(part) for part in err_loc) or "connection"
    return names[0] if flavor == "cloud" else names[1]
