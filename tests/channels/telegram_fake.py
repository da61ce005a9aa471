"""A local stand-in for the Telegram Bot API (api.telegram.org), for the Telegram tests.

python-telegram-bot calls ``POST <root>/bot<token>/<method>`` with form-encoded parameters
(objects as JSON strings) and downloads files from ``GET <root>/file/bot<token>/<path>``.
This server answers ``sendMessage``, ``getFile``, ``setWebhook``, ``setMyCommands``,
``getWebhookInfo`` and ``getMe`` with results shaped as the Bot API documents them (``{"ok": true, "result":
...}``; errors ``{"ok": false, "error_code": ..., "description": ...}``), records every
call, serves the files registered with ``add_file``, and answers with scripted failures
(``fail``) when a test asks for them. A wrong token is 401, an unknown method 404, as
Telegram does.
"""
from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, unquote

from tests.helpers import serving

BOT_ID = 7000000001
BOT_USER = {"id": BOT_ID, "is_bot": True, "first_name": "LAPOR!", "username": "LaporTestBot"}


class FakeBotApi:
    def __init__(self, token: str):
        self.token = token
        self.calls: list[tuple[str, dict]] = []      # (method, parameters)
        self.downloads: list[str] = []               # file paths served
        self.files: dict[str, tuple[str, bytes]] = {}  # file_id -> (file_path, bytes)
        self.failures: dict[str, list[tuple[int, dict]]] = {}
        self.webhook: dict = {"url": "", "allowed_updates": None}
        self._next_message_id = 9000
        self._lock = threading.Lock()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self._thread = serving(self.server)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()

    # ----- what tests script and read -----------------------------------------------------
    def add_file(self, file_id: str, data: bytes, file_path: str) -> None:
        self.files[file_id] = (file_path, data)

    def fail(self, method: str, status: int, description: str, parameters: dict | None = None,
             times: int = 1) -> None:
        body = {"ok": False, "error_code": status, "description": description}
        if parameters:
            body["parameters"] = parameters
        self.failures.setdefault(method, []).extend([(status, body)] * times)

    def sent(self) -> list[dict]:
        with self._lock:
            return [params for method, params in self.calls if method == "sendMessage"]

    def method_calls(self, method: str) -> list[dict]:
        with self._lock:
            return [params for name, params in self.calls if name == method]

    # ----- the Bot API ----------------------------------------------------------------------
    def _answer(self, method: str, params: dict) -> tuple[int, dict]:
        with self._lock:
            self.calls.append((method, params))
            scripted = self.failures.get(method)
            if scripted:
                return scripted.pop(0)
        if method == "getMe":
            return 200, {"ok": True, "result": BOT_USER}
        if method == "sendMessage":
            return 200, {"ok": True, "result": self._message(params)}
        if method == "getFile":
            found = self.files.get(params.get("file_id", ""))
            if found is None:
                return 400, {"ok": False, "error_code": 400,
                             "description": "Bad Request: invalid file_id"}
            path, data = found
            return 200, {"ok": True, "result": {
                "file_id": params["file_id"], "file_unique_id": "U" + params["file_id"][-8:],
                "file_size": len(data), "file_path": path}}
        if method == "setWebhook":
            allowed = params.get("allowed_updates")
            self.webhook = {"url": params.get("url", ""), "secret_token": params.get("secret_token"),
                            "allowed_updates": json.loads(allowed) if allowed else None,
                            "drop_pending_updates": params.get("drop_pending_updates")}
            return 200, {"ok": True, "result": True, "description": "Webhook was set"}
        if method == "setMyCommands":
            return 200, {"ok": True, "result": True}
        if method == "getWebhookInfo":
            info = {"url": self.webhook["url"], "has_custom_certificate": False,
                    "pending_update_count": 0, "max_connections": 40}
            if self.webhook.get("allowed_updates"):
                info["allowed_updates"] = self.webhook["allowed_updates"]
            return 200, {"ok": True, "result": info}
        return 404, {"ok": False, "error_code": 404, "description": "Not Found"}

    def _message(self, params: dict) -> dict:
        with self._lock:
            self._next_message_id += 1
            message_id = self._next_message_id
        chat_id = int(params["chat_id"])
        message = {"message_id": message_id, "from": BOT_USER, "date": int(time.time()),
                   "chat": {"id": chat_id, "type": "private", "first_name": "Warga"},
                   "text": params.get("text", "")}
        if params.get("reply_parameters"):
            replied = json.loads(params["reply_parameters"])["message_id"]
            message["reply_to_message"] = {"message_id": replied, "date": int(time.time()) - 5,
                                           "chat": message["chat"], "text": "(citizen's message)"}
        return message

    def _download(self, path: str) -> bytes | None:
        """The bytes of the file at ``path`` (the download recorded), None if there is none."""
        for file_path, data in self.files.values():
            if file_path == path:
                with self._lock:
                    self.downloads.append(path)
                return data
        return None

    def _handler(self):
        api = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True

            def _reply(self, status: int, payload: bytes, content_type: str) -> None:
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def _json(self, status: int, body: dict) -> None:
                self._reply(status, json.dumps(body).encode(), "application/json")

            def do_GET(self):
                prefix, requested = f"/file/bot{api.token}/", unquote(self.path)
                if not requested.startswith(prefix):
                    return self._json(401, {"ok": False, "error_code": 401,
                                            "description": "Unauthorized"})
                data = api._download(requested[len(prefix):])
                if data is not None:
                    return self._reply(200, data, "application/octet-stream")
                return self._json(404, {"ok": False, "error_code": 404, "description": "Not Found"})

            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                token, _, method = self.path.lstrip("/").partition("/")
                if token != f"bot{api.token}":
                    return self._json(401, {"ok": False, "error_code": 401,
                                            "description": "Unauthorized"})
                kind = (self.headers.get("Content-Type") or "").split(";")[0]
                status, answer = api._answer(method, _params(kind, body))
                self._json(status, answer)

            def log_message(self, *args):
                pass

        return Handler


def _params(kind: str, body: bytes) -> dict:
    """A Bot API call's parameters, sent as JSON or as a form, as strings."""
    if kind == "application/json":
        return {k: v if isinstance(v, str) else json.dumps(v) for k, v in json.loads(body or b"{}").items()}
    return dict(parse_qsl(body.decode("utf-8"), keep_blank_values=True))
