"""The ``Authentication-Results`` verdict (RFC 8601) of an e-mail, from the one MTA we trust.

Anyone can write an ``Authentication-Results`` header into the mail they send; only the
receiving MTA's own header means anything. So a door names that MTA's ``authserv_id``
(option), and only headers carrying exactly that id are read; among them the topmost (the
last one added: the MTA at our border prepends its own, below are what came with the
mail). For the SMTP server the header is trusted only when the connection comes from a
network the door lists in ``trusted_relays`` (its MX): a sender who connects straight to
the gateway could otherwise forge the trusted id too. RFC 8601 section 5 asks the border
MTA to delete headers forged with its own id, which covers a mailbox the poller reads.

The verdict recorded in the complaint's ``meta["authentication"]``::

    {"authserv_id": "mx.jatimprov.go.id", "spf": "pass", "dkim": "pass", "dmarc": "fail"}
    {"trusted": "none"}          # no header from the trusted MTA (or no authserv_id set)

Only the results, never the properties (``smtp.mailfrom``, ``header.from`` name the
sender). Parsing is ``authres`` (RFC 8601 grammar: comments, quoted strings, versions).
"""
from __future__ import annotations

import ipaddress

import authres

METHODS = ("spf", "dkim", "dmarc")


def _parsed(value: str):
    """The header's authserv-id and results, or None when it does not parse."""
    try:
        return authres.AuthenticationResultsHeader.parse("Authentication-Results: " + value)
    except (authres.AuthResError, ValueError, IndexError, TypeError, AttributeError):
        return None


def verdict(headers: list[str], authserv_id: str) -> dict:
    """The results of the topmost header of ``authserv_id`` (``{"trusted": "none"}`` when
    there is none). For a method given more than once (several DKIM signatures) one
    ``pass`` is a pass; otherwise the first result counts."""
    wanted = authserv_id.strip().lower()
    for value in headers if wanted else ():
        header = _parsed(str(value))
        if header is None or str(header.authserv_id or "").lower() != wanted:
            continue
        found: dict[str, str] = {}
        for result in header.results:
            method, outcome = str(result.method).lower(), str(result.result).lower()
            if method in METHODS and (method not in found or outcome == "pass"):
                found[method] = outcome
        return {"authserv_id": wanted, **{method: found.get(method, "none") for method in METHODS}}
    return {"trusted": "none"}


def trusted_peer(peer: str | None, networks) -> bool:
    """Whether an SMTP peer address is in the door's ``trusted_relays`` (None: no SMTP
    peer, a mailbox read by the poller: trusted, see the module docstring)."""
    if peer is None:
        return True
    try:
        address = ipaddress.ip_address(peer)
    except ValueError:
        return False
    for network in networks:
        try:
            if address in ipaddress.ip_network(str(network).strip(), strict=False):
                return True
        except ValueError:
            continue
    return False
