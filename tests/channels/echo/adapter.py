"""The ``echo`` channel's adapter: a JSON webhook signed with HMAC-SHA256 of the raw body
(``X-Echo-Signature``, hex), one message per delivery, the acknowledgement in the answer."""
from __future__ import annotations

import hashlib
import hmac
import json
from datetime import datetime, timezone

from channels.base import ChannelAdapter, Rejected, WebResponse
from normalizer.values import InboundMessage


class EchoAdapter(ChannelAdapter):
    name = "echo"
    replies_inline = True
    required_credentials = ("secret",)
    known_options = frozenset()

    def verify(self, request) -> None:
        sent = request.header("x-echo-signature")
        if not sent:
            raise Rejected(401, "missing signature")
        expected = hmac.new(self.door.credentials["secret"].encode(), request.body, hashlib.sha256).hexdigest()
        if not hmac.compare_digest(sent.encode(), expected.encode()):
            raise Rejected(403, "signature does not match")

    def parse(self, request) -> list[InboundMessage]:
        try:
            data = json.loads(request.body)
            fields = (str(data["id"]), str(data["from"]), str(data["text"]))
        except (ValueError, TypeError, KeyError):
            raise Rejected(400, "not an echo delivery") from None
        if data.get("type") == "ping":
            return []
        message_id, sender, text = fields
        return [InboundMessage(door_id=self.door.id, channel=self.name, provider_message_id=message_id,
                               sender=sender, sender_kind="phone", text=text,
                               received_at=datetime.now(timezone.utc))]

    def respond(self, outcomes) -> WebResponse:
        text = "\n".join(outcome.reply_text for outcome in outcomes if outcome.reply_text)
        return WebResponse(200, text.encode("utf-8"), "text/plain; charset=utf-8")
