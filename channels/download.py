"""The one downloader every door uses to fetch what a provider holds for us (media bytes, the
Graph API's media lookup), with the door's credentials, safely.

``fetch(url, policy, headers)`` GETs one URL and returns an ``Answer`` (status, headers,
bytes). The rules, in the order they apply:

* The URL is parsed ONCE (``urllib3.util.parse_url``) and the connection is made from that
  same parsed value: the host that is checked is the host that is connected to, so a URL
  that two parsers read differently (``https://127.0.0.1:18941\\@api.twilio.com/...``: a
  ``urlsplit`` host of ``api.twilio.com``, an HTTP-client host of ``127.0.0.1``) is refused,
  never half-trusted. URLs with user info (``user:pass@``) are refused.
* https only, to the provider's exact host names (``Policy.hosts``); no suffix matching.
* The host is resolved here, every address must be public (no loopback, private, link-local,
  CGNAT, multicast or reserved address), and the connection goes to the address that was
  checked (TLS still verifies the certificate against the host name), so a DNS answer that
  changes between the check and the connection (DNS rebinding) gains nothing.
* Redirects are followed by hand (at most ``Policy.max_redirects``), each target checked
  like the first URL. Credentials (``headers``) go only to the origin they were given for:
  a redirect to another host goes without them, and only to ``Policy.hosts`` or
  ``Policy.redirect_hosts`` (e.g. Twilio's media store). ``Policy.follow_redirects`` False
  refuses any redirect (Telegram: the token is in the URL itself).
* At most ``Policy.max_bytes`` are read (a larger ``Content-Length`` is refused before
  reading); connect and read time-outs.

``post(url, policy, body, headers)`` sends one POST (a webhook door's signed status
callback) under the same rules: the URL parsed once, https to the policy's hosts (on
``Policy.port``), public addresses only, the checked address connected to; a redirect is
never followed (a POST is not replayed elsewhere).

Tests stand in for the providers with local HTTP servers: a door's
``options.insecure_origins_for_tests`` (a list, or a comma-separated string, of
``scheme://host:port``) lets exactly those origins be reached over http and on loopback.
It is operator configuration, never read from a request; no production door sets it.

Failures are ``SendError``: refused URLs and oversized bodies are permanent; DNS failures,
refused connections and time-outs are retryable. Reasons never carry the URL, a token or
an address.
"""
from __future__ import annotations

import ipaddress
import json
import socket
from dataclasses import dataclass, field
from urllib.parse import urljoin

import certifi
import urllib3
from urllib3 import HTTPHeaderDict
from urllib3.exceptions import HTTPError, LocationParseError
from urllib3.util import Timeout, parse_url

from channels.base import SendError

DEFAULT_TIMEOUT = (3.05, 60.0)            # connect, read (seconds)
CHUNK = 64 * 1024
REDIRECTS = (301, 302, 303, 307, 308)
TEST_ORIGINS_OPTION = "insecure_origins_for_tests"
DEFAULT_PORTS = {"https": 443, "http": 80}


@dataclass(frozen=True)
class Policy:
    """Where one door may download from, and how much."""
    hosts: frozenset[str]                          # exact names that may get the credentials
    max_bytes: int
    redirect_hosts: frozenset[str] = frozenset()   # reached by a redirect, without credentials
    test_origins: frozenset[str] = frozenset()     # http/loopback allowed: tests only
    timeout: tuple[float, float] = DEFAULT_TIMEOUT
    max_redirects: int = 3
    follow_redirects: bool = True
    what: str = "media"                            # for the reasons: "twilio media", ...
    port: int = 443                                # the one https port allowed


@dataclass
class Answer:
    """What the provider answered (the last hop of any redirect)."""
    status_code: int
    headers: HTTPHeaderDict = field(default_factory=HTTPHeaderDict)   # case-insensitive
    content: bytes = b""

    @property
    def text(self) -> str:
        return self.content.decode("utf-8", "replace")

    def json(self):
        return json.loads(self.content)

    @property
    def content_type(self) -> str:
        return str(self.headers.get("content-type", "")).split(";")[0].strip()


def test_origins(options: dict) -> frozenset[str]:
    """The origins a door's ``insecure_origins_for_tests`` option names, normalized."""
    value = options.get(TEST_ORIGINS_OPTION) or ()
    items = value.split(",") if isinstance(value, str) else value
    found = set()
    for item in items if isinstance(items, (list, tuple)) else ():
        try:
            found.add(_origin(parse_url(str(item).strip())))
        except (LocationParseError, ValueError):
            continue
    return frozenset(found)


def _hostname(url) -> str:
    """The host of a parsed URL, lower case, without an IPv6 literal's brackets."""
    return (url.host or "").lower().strip("[]")


def _origin(url) -> str:
    scheme = (url.scheme or "").lower()
    if scheme not in DEFAULT_PORTS or not url.host:
        raise ValueError("not an http(s) origin")
    return f"{scheme}://{url.host.lower()}:{url.port or DEFAULT_PORTS[scheme]}"


def _public(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%")[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


def _resolve(host: str, port: int, public_only: bool) -> str:
    """The address to connect to: every address the name has must be public."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError, OSError):
        raise SendError("host name did not resolve") from None
    addresses = [info[4][0] for info in infos]
    if not addresses:
        raise SendError("host name did not resolve")
    if public_only and not all(_public(address) for address in addresses):
        raise SendError("refused: the host has a private or loopback address", permanent=True)
    return addresses[0]


def _check(url, policy: Policy, allowed: frozenset[str]) -> tuple[str, str]:
    """(origin, address) for a URL the policy allows; SendError(permanent) otherwise."""
    refused = SendError(f"{policy.what}: URL refused (not the provider's https host)",
                        permanent=True)
    if url.auth is not None or not url.host:
        raise refused
    try:
        origin = _origin(url)
    except ValueError:
        raise refused from None
    host, scheme = _hostname(url), url.scheme.lower()
    port = url.port or DEFAULT_PORTS[scheme]
    if origin in policy.test_origins:
        return origin, _resolve(host, port, public_only=False)
    if scheme != "https" or port != policy.port or host not in allowed:
        raise refused
    return origin, _resolve(host, port, public_only=True)


def _pool(url, address: str, policy: Policy):
    host, scheme = _hostname(url), url.scheme.lower()
    port = url.port or DEFAULT_PORTS[scheme]
    timeout = Timeout(connect=policy.timeout[0], read=policy.timeout[1])
    if scheme == "https":
        return urllib3.HTTPSConnectionPool(
            address, port, timeout=timeout, maxsize=1, retries=False, cert_reqs="CERT_REQUIRED",
            ca_certs=certifi.where(), server_hostname=host, assert_hostname=host)
    return urllib3.HTTPConnectionPool(address, port, timeout=timeout, maxsize=1, retries=False)


def _host_header(url) -> str:
    scheme = url.scheme.lower()
    host = _hostname(url)
    if ":" in host:
        host = f"[{host}]"
    return host if not url.port or url.port == DEFAULT_PORTS[scheme] else f"{host}:{url.port}"


def fetch(url: str, policy: Policy, headers: dict | None = None) -> Answer:
    """GET ``url`` under ``policy``; ``headers`` (credentials) stay on their origin."""
    try:
        current = parse_url(url)
    except LocationParseError:
        raise SendError(f"{policy.what}: not a valid URL", permanent=True) from None
    credentials = dict(headers or {})
    first_origin = ""
    for hop in range(policy.max_redirects + 1):
        if hop:
            try:
                moved = _origin(current) != first_origin
            except ValueError:
                moved = True
            if moved:
                credentials = {}                # never across a change of host, port or scheme
        allowed = policy.hosts if credentials else policy.hosts | policy.redirect_hosts
        origin, address = _check(current, policy, policy.hosts if hop == 0 else allowed)
        first_origin = first_origin or origin
        answer, location = _get(current, address, policy, credentials)
        if location is None:
            return answer
        if not policy.follow_redirects:
            raise SendError(f"{policy.what}: unexpected redirect", permanent=True)
        try:
            current = parse_url(urljoin(current.url, location))
        except LocationParseError:
            raise SendError(f"{policy.what}: redirect to an invalid URL", permanent=True) from None
    raise SendError(f"{policy.what}: too many redirects", permanent=True)


def post(url: str, policy: Policy, body: bytes, headers: dict | None = None) -> Answer:
    """POST ``body`` to ``url`` under ``policy`` (no redirect followed: a 3xx is the answer)."""
    try:
        target = parse_url(url)
    except LocationParseError:
        raise SendError(f"{policy.what}: not a valid URL", permanent=True) from None
    _origin_, address = _check(target, policy, policy.hosts)
    return _get(target, address, policy, dict(headers or {}), method="POST", body=body)[0]


def _get(url, address: str, policy: Policy, credentials: dict, method: str = "GET",
         body: bytes | None = None) -> tuple[Answer, str | None]:
    """One request to the checked address; (answer, redirect location or None)."""
    pool = _pool(url, address, policy)
    request_headers = {"Host": _host_header(url), "User-Agent": "lapor-gateway",
                       "Accept-Encoding": "identity", **credentials}
    try:
        response = pool.urlopen(method, url.request_uri, headers=request_headers, redirect=False,
                                retries=False, preload_content=False, assert_same_host=False,
                                body=body)
        try:
            names = HTTPHeaderDict(response.headers)
            location = names.get("location")
            if response.status in REDIRECTS and location:
                return Answer(response.status, names), location
            declared = names.get("content-length", "")
            if declared.isascii() and declared.isdigit() and int(declared) > policy.max_bytes:
                raise SendError(f"{policy.what} larger than {policy.max_bytes} bytes", permanent=True)
            data = bytearray()
            for chunk in response.stream(CHUNK):
                data += chunk
                if len(data) > policy.max_bytes:
                    raise SendError(f"{policy.what} larger than {policy.max_bytes} bytes",
                                    permanent=True)
            return Answer(response.status, names, bytes(data)), None
        finally:
            response.release_conn()
    except HTTPError as exc:          # its text holds the address: never shown
        raise SendError(f"{policy.what} unreachable ({type(exc).__name__})") from None
    finally:
        pool.close()
