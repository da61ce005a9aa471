"""Tweets and direct messages as X describes them -> ``InboundMessage``.

Three shapes reach the Twitter door: Account Activity webhooks carry v1.1 tweets
(``tweet_v1``) and v1.1 direct message events (``dm_v1``); the mentions poller reads API v2
tweets with their ``includes`` (``tweet_v2``). All three come out the same way:
``provider_message_id`` is ``tweet:<id>`` or ``dm:<event id>`` (so the webhook and the poller
of one door deduplicate each other), ``sender`` the author's user id, the full text with our
own leading @mention taken out and t.co links undone, the best media URL, the place, and
``meta["edit_of"]`` for an edited tweet. Our own posts, retweets and DM events that are not
messages are ignored (None); ``Malformed`` is raised for a structure X never sends (the
adapter answers 400). What each field carries is in ``docs/channels/twitter.md``.
"""
from __future__ import annotations

import html
import mimetypes
import re
from dataclasses import dataclass
from datetime import datetime, timezone
from posixpath import basename
from urllib.parse import urlsplit

from normalizer.geo import coordinates
from normalizer.values import Attachment, InboundMessage, Location

CHANNEL = "twitter"
TWEET = "tweet:"
DM = "dm:"
_LEADING_MENTIONS = re.compile(r"^(?:\s*@[A-Za-z0-9_]{1,15}(?![A-Za-z0-9_@]))+")
_HANDLE = re.compile(r"@([A-Za-z0-9_]{1,15})")
_MEDIA_LINK = re.compile(r"^https://(?:twitter|x)\.com/\w+/status/\d+/(?:photo|video)/\d+$")
_KINDS = {"photo": "image", "video": "video", "animated_gif": "video"}


class Malformed(ValueError):
    """The payload does not have the structure X sends."""


@dataclass(frozen=True)
class Account:
    """Our own account: its user id and handle (either may be unknown: '')."""
    id: str = ""
    username: str = ""


def obj(value, what: str) -> dict:
    if not isinstance(value, dict):
        raise Malformed(f"{what} is not an object")
    return value


def items(value, what: str) -> list:
    if value is None:
        return []
    if not isinstance(value, list):
        raise Malformed(f"{what} is not a list")
    return value


def ident(value, what: str) -> str:
    """An id as X writes it (a string of ASCII digits, or a number)."""
    text = str(value) if isinstance(value, (str, int)) and not isinstance(value, bool) else ""
    if not (text.isascii() and text.isdigit()):
        raise Malformed(f"{what} is not an id")
    return text


def string(value) -> str:
    return value if isinstance(value, str) else ""


# ----- text --------------------------------------------------------------------------------------
def clean_text(text: str, urls: list, media_links: set[str], ours: str) -> str:
    """Undo t.co links and HTML entities; drop our @mention from the leading mentions."""
    for link in media_links:
        text = text.replace(link, "")
    for entry in urls:
        short, expanded = string(entry.get("url")), string(entry.get("expanded_url"))
        if short and expanded and short not in media_links:
            text = text.replace(short, expanded)
    text = html.unescape(text)
    leading = _LEADING_MENTIONS.match(text)
    if leading and ours:
        handles = _HANDLE.findall(leading.group(0))
        if any(handle.lower() == ours.lower() for handle in handles):
            kept = [f"@{handle}" for handle in handles if handle.lower() != ours.lower()]
            text = " ".join(kept + [text[leading.end():].strip()])
    return text.strip()


def our_handle(account: Account, mentions: list, id_key: str, name_key: str) -> str:
    """Our username: configured, else the mention entity that carries our id."""
    if account.username:
        return account.username.lstrip("@")
    for mention in mentions:
        if isinstance(mention, dict) and account.id and str(mention.get(id_key, "")) == account.id:
            return string(mention.get(name_key))
    return ""


# ----- media and places -----------------------------------------------------------------------
def _best_variant(variants: list, rate_key: str) -> str:
    mp4 = [v for v in variants if isinstance(v, dict) and v.get("content_type") == "video/mp4"
           and isinstance(v.get("url"), str)]
    if mp4:
        return max(mp4, key=lambda v: v.get(rate_key) if isinstance(v.get(rate_key), int) else 0)["url"]
    return next((v["url"] for v in variants if isinstance(v, dict) and isinstance(v.get("url"), str)), "")


def attachment(kind: str, url: str, fallback_ref: str = "") -> Attachment:
    """An Attachment for one X medium (type photo/video/animated_gif)."""
    path = urlsplit(url).path if url else ""
    default = "image/jpeg" if kind == "photo" else "video/mp4" if kind in _KINDS else ""
    content_type = (mimetypes.guess_type(path)[0] if path else None) or default
    return Attachment(kind=_KINDS.get(kind, "other"), content_type=content_type,
                      provider_ref=url or fallback_ref, filename=basename(path))


def media_v1(entity: dict) -> Attachment:
    kind = string(entity.get("type"))
    if kind == "photo":
        url = string(entity.get("media_url_https")) or string(entity.get("media_url"))
    else:
        info = entity.get("video_info") if isinstance(entity.get("video_info"), dict) else {}
        url = _best_variant(items(info.get("variants"), "video variants"), "bitrate")
    return attachment(kind, url, "media:" + string(entity.get("id_str")))


def point(geo) -> tuple[float | None, float | None]:
    """(latitude, longitude) of a GeoJSON point ([longitude, latitude]); (None, None) if none."""
    if not isinstance(geo, dict) or geo.get("type") != "Point":
        return None, None
    pair = geo.get("coordinates")
    if (isinstance(pair, list) and len(pair) == 2
            and all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in pair)):
        return coordinates(pair[1], pair[0])
    return None, None


def location(geo, place_name: str) -> Location | None:
    latitude, longitude = point(geo)
    if latitude is None and not place_name:
        return None
    return Location(text=place_name, latitude=latitude, longitude=longitude)


# ----- times ------------------------------------------------------------------------------------
def from_millis(value) -> datetime | None:
    try:
        return datetime.fromtimestamp(int(value) / 1000, timezone.utc)
    except (TypeError, ValueError, OverflowError, OSError):
        return None


def from_text(value) -> datetime | None:
    """v1.1 ``Wed Oct 10 20:19:24 +0000 2018`` or v2 ISO ``2022-10-19T20:58:00.000Z``."""
    text = string(value)
    for parse in (lambda t: datetime.strptime(t, "%a %b %d %H:%M:%S %z %Y"),
                  lambda t: datetime.fromisoformat(t.replace("Z", "+00:00"))):
        try:
            moment = parse(text)
        except ValueError:
            continue
        return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)
    return None


def edit_of(tweet_id: str, history) -> str:
    """The provider id of the original tweet when this tweet is an edit, else ''."""
    ids = [str(i) for i in history if isinstance(i, (str, int))] if isinstance(history, list) else []
    if len(ids) > 1 and ids[0] != tweet_id:
        return TWEET + ids[0]
    return ""


def message(door, provider_id: str, sender: str, text: str, *, public: bool, meta: dict,
            sent_at=None, name: str = "", username: str = "", attachments=(),
            place: Location | None = None) -> InboundMessage:
    edit = meta.get("edit_of", "")
    return InboundMessage(
        door_id=door.id, channel=CHANNEL, provider_message_id=provider_id, sender=sender,
        sender_kind="twitter", text=text, received_at=datetime.now(timezone.utc),
        sent_at=sent_at, sender_name=name, contact=f"@{username}" if username else "",
        attachments=tuple(attachments), location=place, public=public, is_edit=bool(edit),
        meta=meta)


# ----- the three shapes -----------------------------------------------------------------------
def tweet_v1(tweet, door, account: Account) -> InboundMessage | None:
    """One ``tweet_create_events`` entry (a v1.1 tweet object)."""
    tweet = obj(tweet, "tweet")
    tweet_id = ident(tweet.get("id_str") or tweet.get("id"), "tweet id")
    user = obj(tweet.get("user"), "tweet user")
    author = ident(user.get("id_str") or user.get("id"), "user id")
    if author == account.id or "retweeted_status" in tweet:
        return None
    body = obj(tweet["extended_tweet"], "extended_tweet") if isinstance(
        tweet.get("extended_tweet"), dict) else tweet
    text = string(body.get("full_text")) or string(body.get("text"))
    entities = body.get("entities") if isinstance(body.get("entities"), dict) else {}
    extended = body.get("extended_entities") if isinstance(body.get("extended_entities"), dict) else {}
    media = [obj(m, "media") for m in items(extended.get("media") or entities.get("media"), "media")]
    mentions = items(entities.get("user_mentions"), "user_mentions")
    ours = our_handle(account, mentions, "id_str", "screen_name")
    links = {string(m.get("url")) for m in media} - {""}
    text = clean_text(text, [u for u in items(entities.get("urls"), "urls") if isinstance(u, dict)],
                      links, ours)
    place = tweet.get("place") if isinstance(tweet.get("place"), dict) else {}
    meta = {"via": "mention", "mode": "webhook"}
    if string(tweet.get("lang")):
        meta["lang"] = tweet["lang"]
    history = tweet.get("edit_history") if isinstance(tweet.get("edit_history"), dict) else {}
    if edit_of(tweet_id, history.get("edit_tweet_ids")):
        meta["edit_of"] = edit_of(tweet_id, history.get("edit_tweet_ids"))
    return message(door, TWEET + tweet_id, author, text, public=True, meta=meta,
                   sent_at=from_millis(tweet.get("timestamp_ms")) or from_text(tweet.get("created_at")),
                   name=string(user.get("name")), username=string(user.get("screen_name")),
                   attachments=[media_v1(m) for m in media],
                   place=location(tweet.get("coordinates"), string(place.get("full_name"))))


def dm_v1(event, users: dict, door, account: Account) -> InboundMessage | None:
    """One ``direct_message_events`` entry; ``users`` is the payload's users by id."""
    event = obj(event, "direct message event")
    if event.get("type") != "message_create":
        return None
    event_id = ident(event.get("id"), "event id")
    create = obj(event.get("message_create"), "message_create")
    sender = ident(create.get("sender_id"), "sender id")
    if sender == account.id:
        return None
    data = obj(create.get("message_data", {}), "message_data")
    entities = data.get("entities") if isinstance(data.get("entities"), dict) else {}
    attached = data.get("attachment") if isinstance(data.get("attachment"), dict) else {}
    media = [obj(attached["media"], "media")] if attached.get("type") == "media" else []
    links = {string(m.get("url")) for m in media} - {""}
    mentions = items(entities.get("user_mentions"), "user_mentions")
    text = clean_text(string(data.get("text")),
                      [u for u in items(entities.get("urls"), "urls") if isinstance(u, dict)],
                      links, our_handle(account, mentions, "id_str", "screen_name"))
    user = users.get(sender) if isinstance(users.get(sender), dict) else {}
    return message(door, DM + event_id, sender, text, public=False,
                   meta={"via": "dm", "mode": "webhook"},
                   sent_at=from_millis(event.get("created_timestamp")),
                   name=string(user.get("name")), username=string(user.get("screen_name")),
                   attachments=[media_v1(m) for m in media])


@dataclass(frozen=True)
class Includes:
    """A v2 answer's ``includes`` by key: media by media_key, users and places by id."""
    media: dict
    users: dict
    places: dict

    @classmethod
    def of(cls, includes: dict) -> "Includes":
        def index(name: str, key: str) -> dict:
            return {str(entry.get(key)): entry for entry in items(includes.get(name), name)
                    if isinstance(entry, dict)}
        return cls(index("media", "media_key"), index("users", "id"), index("places", "id"))


def tweet_v2(tweet, includes: Includes, door, account: Account) -> InboundMessage | None:
    """One API v2 tweet from the mentions timeline."""
    tweet = obj(tweet, "tweet")
    tweet_id = ident(tweet.get("id"), "tweet id")
    author = ident(tweet.get("author_id"), "author id")
    refs = [r for r in items(tweet.get("referenced_tweets"), "referenced_tweets") if isinstance(r, dict)]
    if author == account.id or any(r.get("type") == "retweeted" for r in refs):
        return None
    note = tweet.get("note_tweet") if isinstance(tweet.get("note_tweet"), dict) else {}
    text = string(note.get("text")) or string(tweet.get("text"))
    entities = note.get("entities") if isinstance(note.get("entities"), dict) else (
        tweet.get("entities") if isinstance(tweet.get("entities"), dict) else {})
    urls = [u for u in items(entities.get("urls"), "urls") if isinstance(u, dict)]
    links = {string(u.get("url")) for u in urls
             if u.get("media_key") or _MEDIA_LINK.match(string(u.get("expanded_url")))} - {""}
    text = clean_text(text, urls, links,
                      our_handle(account, items(entities.get("mentions"), "mentions"), "id", "username"))
    attached = tweet.get("attachments") if isinstance(tweet.get("attachments"), dict) else {}
    media = []
    for key in items(attached.get("media_keys"), "media_keys"):
        entry = includes.media.get(str(key), {})
        kind = string(entry.get("type"))
        url = string(entry.get("url")) if kind == "photo" else _best_variant(
            items(entry.get("variants"), "variants"), "bit_rate")
        media.append(attachment(kind, url, f"media_key:{key}"))
    geo = tweet.get("geo") if isinstance(tweet.get("geo"), dict) else {}
    place = includes.places.get(str(geo.get("place_id", "")), {})
    user = includes.users.get(author, {})
    meta = {"via": "mention", "mode": "poll"}
    if string(tweet.get("lang")):
        meta["lang"] = tweet["lang"]
    if edit_of(tweet_id, tweet.get("edit_history_tweet_ids")):
        meta["edit_of"] = edit_of(tweet_id, tweet.get("edit_history_tweet_ids"))
    return message(door, TWEET + tweet_id, author, text, public=True, meta=meta,
                   sent_at=from_text(tweet.get("created_at")), name=string(user.get("name")),
                   username=string(user.get("username")), attachments=media,
                   place=location(geo.get("coordinates"), string(place.get("full_name"))))
