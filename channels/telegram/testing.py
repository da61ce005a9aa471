"""Telegram's test sender (``channels.testing``): a Bot API webhook update, compact UTF-8
JSON, with the door's secret token in X-Telegram-Bot-Api-Secret-Token."""
from __future__ import annotations

import json

from channels.testing import OTHER_SECRET, Request, Sender, json_bytes

BOT_TOKEN = "123456789:AAE-security-test-token-0123456789ab"
SECRET_TOKEN = "telegram-secret-token_0123456789"
HEADER = "X-Telegram-Bot-Api-Secret-Token"


def case_body(spec: dict) -> bytes:
    """A recorded case's body: ``body`` as compact UTF-8 JSON, or ``body_text`` /
    ``body_hex`` as raw bytes."""
    if "body_hex" in spec:
        return bytes.fromhex(spec["body_hex"])
    if "body_text" in spec:
        return spec["body_text"].encode("utf-8")
    return json.dumps(spec["body"], ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def case_headers(spec: dict, secret_token: str, forged_token: str) -> dict:
    """The secret token header a recorded case's ``secret`` (valid, forged, missing) says."""
    token = {"valid": secret_token, "forged": forged_token}.get(spec["secret"])
    return {HEADER: token} if token else {}


class TelegramSender(Sender):
    """A Bot API webhook update with the secret token header."""
    door = {"id": "telegram", "channel": "telegram", "agency": "KemenPANRB", "label": "Bot Telegram LAPOR!",
            "credentials": {"bot_token": "LAPOR_SEC_TELEGRAM_BOT_TOKEN",
                            "secret_token": "LAPOR_SEC_TELEGRAM_SECRET_TOKEN"},
            "options": {}}
    environ = {"LAPOR_SEC_TELEGRAM_BOT_TOKEN": BOT_TOKEN, "LAPOR_SEC_TELEGRAM_SECRET_TOKEN": SECRET_TOKEN}
    secrets = (BOT_TOKEN, SECRET_TOKEN)
    inline = False
    signature_headers = ("x-telegram-bot-api-secret-token",)

    def payload(self, text: str, n: int) -> dict:
        user = 5811230000 + n
        return {"update_id": 815200000 + n, "message": {
            "message_id": 100 + n, "date": 1795516959,
            "from": {"id": user, "is_bot": False, "first_name": "Siti", "language_code": "id"},
            "chat": {"id": user, "type": "private", "first_name": "Siti"}, "text": text}}

    def body(self, text: str, n: int) -> bytes:
        return self.serialize(self.payload(text, n))

    @staticmethod
    def serialize(payload) -> bytes:
        return json_bytes(payload)

    def _build(self, body: bytes, token: str | None) -> Request:
        headers = {HEADER: token} if token is not None else {}
        return Request("POST", "/in/telegram", body=body, headers=headers,
                       content_type="application/json", secrets=(SECRET_TOKEN, BOT_TOKEN))

    def signed(self, body: bytes) -> Request:
        return self._build(body, SECRET_TOKEN)

    def thread(self, text: str, message_no: int, n: int) -> Request:
        payload = self.payload(text, n)
        payload["update_id"] += 1000 * message_no
        message = payload["message"]
        message["message_id"] += 1000 * message_no
        if message_no > 1:
            del message["text"]
            message.update(caption=text, media_group_id="13650853214350", photo=[
                {"file_id": "AgACAgUAAxkBAAIC-sealed-1280", "file_unique_id": "AQADsealed",
                 "width": 1280, "height": 960, "file_size": 48213}])
        return self.signed(self.serialize(payload))

    def thread_identifiers(self, n: int) -> list[str]:
        return [str(5811230000 + n), str(815201000 + n), str(815202000 + n), "AgACAgUAAxkBAAIC-sealed",
                "13650853214350"]

    def case_request(self, table: dict, case: dict) -> Request:
        """A recorded case with the cases file's ``secret_token`` / ``forged_token``."""
        spec = case["request"]
        return Request("POST", f"/in/{case.get('door', table['door'])}", body=case_body(spec),
                       headers=case_headers(spec, table["secret_token"], table["forged_token"]),
                       content_type="application/json")

    def request(self, text: str, n: int) -> Request:
        return self.signed(self.body(text, n))

    def forged(self, kind: str, text: str, n: int) -> Request:
        if kind == "none":
            return self._build(self.body(text, n), None)
        if kind == "wrong":
            return self._build(self.body(text, n), OTHER_SECRET)
        raise ValueError(kind)


SENDER = TelegramSender()
