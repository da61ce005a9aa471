"""``lapor-gateway twitter ...``: register an X door's webhook (Account Activity API).

    lapor-gateway twitter set-webhook [--door ID]
    lapor-gateway twitter webhook-info [--door ID]
    lapor-gateway twitter poll [--door ID | --all] [--once]   (the mentions poller)

``set-webhook`` registers ``<LAPOR_PUBLIC_BASE_URL>/in/<door>`` with X's V2 Webhooks API
(``POST /2/webhooks``, bearer token; X first sends the CRC challenge, which the running
gateway answers with the consumer secret), or, when X already has that URL, re-validates it
(``PUT /2/webhooks/<id>``: X repeats the challenge). Then it subscribes the agency account
to it (``POST /2/account_activity/webhooks/<id>/subscriptions/all``, OAuth 1.0a user
context of the account), and prints what ``webhook-info`` prints: the webhooks X holds for
the app (``GET /2/webhooks``), with, for the door's URL, whether it is valid and whether the
account is subscribed. Calls go through the door's tweepy client (``channels/twitter/client.py``,
``options.api_base_url``), so the tests run this against a local stand-in for X.
``--door`` may be left out when exactly one door uses the ``twitter`` channel.

Settings: the gateway's own (``LAPOR_PUBLIC_BASE_URL``, ``LAPOR_DOORS_FILE``, the door's
credential variables). No Redis, no broker. Exit status: 0 done, 1 X refused or could not be
reached, 2 configuration error. No token, secret or account id is ever printed.
"""
from __future__ import annotations

import argparse
import sys

import requests
import tweepy

from channels.twitter import client as api
from channels.base import SendError
from channels.registry import AdminError, Background, CommandContext, channel_door, run_admin
from channels.twitter.poller import TwitterPoller, polled_doors, run_poller, run_pollers
from config.settings import SettingsError


def register(subparsers, context: CommandContext) -> None:
    """Add ``twitter poll`` (it needs the intake: ``context``), ``twitter set-webhook`` and
    ``twitter webhook-info`` to the CLI's subparsers."""
    twitter = subparsers.add_parser("twitter", help="Twitter/X doors: poller and webhook")
    actions = twitter.add_subparsers(dest="twitter_command", required=True)
    poller = actions.add_parser("poll", help="read the mentions timeline into the intake")
    which = poller.add_mutually_exclusive_group()
    which.add_argument("--door", default="twitter")
    which.add_argument("--all", action="store_true",
                       help="every door whose options ask for the poller (\"poll\": true)")
    poller.add_argument("--once", action="store_true", help="poll once and exit")
    poller.set_defaults(func=lambda args: cmd_poll(args, context))
    set_webhook = actions.add_parser("set-webhook", help="register <public URL>/in/<door> with X")
    set_webhook.add_argument("--door", help="door id (default: the only twitter door)")
    set_webhook.set_defaults(func=cmd_set_webhook)
    info = actions.add_parser("webhook-info", help="show the webhooks X holds for the app")
    info.add_argument("--door", help="door id (default: the only twitter door)")
    info.set_defaults(func=cmd_webhook_info)


def cmd_poll(args: argparse.Namespace, context: CommandContext) -> int:
    """``twitter poll``: one door, or every door whose options ask for the poller."""
    parts = context.parts()
    doors = polled_doors(parts.catalogue) if args.all else [args.door]
    if args.all and not args.once:
        if not doors:   # the Procfile line on a gateway without such a door: wait, not crash
            print("lapor-gateway: no door asks for the twitter poller (options.poll); idle",
                  file=sys.stderr)
            context.stop_event().wait()
        run_pollers(parts, doors, context.stop_event())
        return 0
    taken = sum(run_poller(parts, door, context.stop_event(), once=args.once) for door in doors)
    if args.once:
        print(f"{taken} mention(s) taken")
    return 0


def background(catalogue) -> list[Background]:
    """``lapor-gateway run`` starts the poller for the doors whose options ask for it."""
    polled = polled_doors(catalogue)
    return [Background("twitter", ["twitter", "poll", "--all"], polled,
                       "X mentions poller started")] if polled else []


def check_config(parts) -> list[str]:
    """``check-config``: a door with ``"poll": true`` needs what the poller reads with."""
    errors = []
    for door_id in polled_doors(parts.catalogue):
        try:
            TwitterPoller(parts.catalogue.doors[door_id], parts.store)
        except SettingsError as exc:
            errors.append(str(exc))
    return errors


def twitter_door(settings, door_id: str | None):
    """The X door named, or the only one, with the bearer token the Webhooks API needs."""
    return channel_door(settings, "twitter", door_id, "bearer_token")


def webhook_url(settings, door) -> str:
    from config.doors import public_url

    url = public_url(settings, door.id)
    if not url:
        raise AdminError("LAPOR_PUBLIC_BASE_URL is not set: X needs the gateway's public "
                         "https address")
    return url


def _call(action: str, method: str, route: str, client, user_auth: bool = False, body=None) -> dict:
    try:
        answer = client.request(method, route, json=body, user_auth=user_auth)
    except (tweepy.TweepyException, requests.RequestException) as exc:
        raise api.send_error(exc, action) from None
    try:
        return answer.json() if answer.content else {}
    except ValueError:
        return {}


def set_webhook(settings, door_id: str | None = None) -> dict:
    """Register (or re-validate) the door's webhook and subscribe the account; return what
    ``webhook_info`` returns. Raises AdminError or SendError."""
    door = twitter_door(settings, door_id)
    if not api.can_write(door):
        raise AdminError(f"door {door.id}: the subscription needs the four OAuth 1.0a "
                         "credentials of the agency account")
    url = webhook_url(settings, door)
    client = api.client_for(door)
    known = [hook for hook in _webhooks(client) if hook.get("url") == url]
    if known:
        hook_id = str(known[0].get("id", ""))
        _call("webhook revalidation", "PUT", f"/2/webhooks/{hook_id}", client)
    else:
        created = _call("webhook registration", "POST", "/2/webhooks", client, body={"url": url})
        hook_id = str((created.get("data") or {}).get("id", ""))
        if not hook_id:
            raise SendError("x webhook registration answered without a webhook id")
    _call("subscription", "POST", f"/2/account_activity/webhooks/{hook_id}/subscriptions/all",
          client, user_auth=True)
    return _info(door, url, client)


def webhook_info(settings, door_id: str | None = None) -> dict:
    door = twitter_door(settings, door_id)
    return _info(door, webhook_url(settings, door), api.client_for(door))


def _webhooks(client) -> list[dict]:
    found = _call("webhook list", "GET", "/2/webhooks", client).get("data") or []
    return [hook for hook in found if isinstance(hook, dict)]


def _info(door, url: str, client) -> dict:
    hooks = _webhooks(client)
    ours = next((hook for hook in hooks if hook.get("url") == url), None)
    subscribed = None
    if ours is not None and api.can_write(door):
        answer = _call("subscription check", "GET",
                       f"/2/account_activity/webhooks/{ours.get('id')}/subscriptions/all",
                       client, user_auth=True)
        subscribed = bool((answer.get("data") or {}).get("subscribed"))
    return {"url": url, "id": str(ours.get("id", "")) if ours else "",
            "valid": bool(ours.get("valid")) if ours else False, "subscribed": subscribed,
            "others": [str(hook.get("url", "")) for hook in hooks if hook is not ours]}


def _print_info(info: dict) -> None:
    if not info["id"]:
        print(f"x webhook: {info['url']} is not registered (lapor-gateway twitter set-webhook)")
    else:
        subscribed = {True: "yes", False: "no", None: "unknown (no OAuth 1.0a credentials)"}
        print(f"x webhook: {info['url']} (id {info['id']})")
        print(f"  valid (CRC answered): {'yes' if info['valid'] else 'no'}; "
              f"account subscribed: {subscribed[info['subscribed']]}")
    for other in info["others"]:
        print(f"  another webhook of this app: {other}")


def _run(action) -> int:
    return run_admin("twitter", action, _print_info)


def cmd_set_webhook(args: argparse.Namespace) -> int:
    return _run(lambda settings: set_webhook(settings, args.door))


def cmd_webhook_info(args: argparse.Namespace) -> int:
    return _run(lambda settings: webhook_info(settings, args.door))
