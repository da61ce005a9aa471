"""The doors ``bench/intake.py`` loads: wrk's Lua for each, the bare Flask app, and the
signed requests made ahead (the channels' own test senders, ``channels/<name>/testing.py``,
and a Standard Webhooks signer) that wrk reads from a file, each a new message."""
from __future__ import annotations

import json
import os
from pathlib import Path

SECRET = "benchdoorsecret"
KANNEL_LUA = """
counter = 0
request = function()
  counter = counter + 1
  return wrk.format("GET", "/in/sms-1708?secret=%(secret)s&from=0812%%2B" .. math.random(1000000, 9999999)
    .. "&to=1708&text=LAPOR+jalan+rusak+di+depan+SDN+3&coding=0&charset=UTF-8"
    .. "&time=2026-11-24+10%%3A00%%3A00&smsc=bench&id=" .. id_prefix .. "-" .. counter)
end
setup = function(thread) thread:set("id_prefix", tostring(math.random(1, 1e9))) end
"""
FORM_LUA = """
counter = 0
request = function()
  counter = counter + 1
  local body = "csrf_token=%(token)s&submission_id=" .. id_prefix .. "x" .. counter
    .. "&language=id&classification=pengaduan&title=&body=Jalan+berlubang+di+depan+pasar+Minggu"
    .. "&location=Bandung&contact=0812" .. string.format("%%08d", (id_prefix + counter) %% 100000000)
    .. "&name=Siti"
  return wrk.format("POST", "/lapor", {["Content-Type"] = "application/x-www-form-urlencoded",
    ["Cookie"] = "%(cookie)s"}, body)
end
setup = function(thread) thread:set("id_prefix", tostring(math.random(1, 1e9))) end
"""
API_LUA = """
counter = 0
request = function()
  counter = counter + 1
  return wrk.format("POST", "/api/v1/complaints", {["Content-Type"] = "application/json",
    ["Idempotency-Key"] = id_prefix .. "-" .. counter},
    '{"classification": "pengaduan", "body": "Jalan berlubang di depan pasar Minggu", "contact": "0812'
    .. string.format("%08d", (id_prefix + counter) % 100000000) .. '"}')
end
setup = function(thread) thread:set("id_prefix", tostring(math.random(1, 1e9))) end
"""
WEBHOOK_SECRET = "whsec_YmVuY2gtd2ViaG9vay1zZWNyZXQtMzItYnl0ZXMhIQ=="
WEBHOOK_DOORS = {"extends": "defaults", "doors": [
    {"id": "bench-webhook", "channel": "webhook", "agency": "Pemprov Jawa Barat",
     "credentials": {"secret": "LAPOR_BENCH_WEBHOOK_SECRET"},
     "options": {"mapping": {"text": "/laporan/isi", "sender": "/pelapor/hp", "message_id": "/id",
                             "classification": "/jenis", "location_text": "/lokasi/alamat"}}}]}
#: Signed requests made ahead per second of load and per door (past them, the list starts
#: again: duplicates, which the dedup answers early; the "repeated" column counts them).
SIGNED_PER_SECOND = 8000
TEXT = "LAPOR jalan rusak di depan SDN 3 sudah dua bulan"
#: Requests read from a file made here (``recorded``): each thread takes every second one.
RECORDED_LUA = """
local reqs, threads, started = {}, {}, 0
setup = function(thread)
  thread:set("offset", started); started = started + 1; table.insert(threads, thread)
end
init = function(args)
  local file = io.open("%(path)s", "rb"); local data = file:read("*a"); file:close()
  local at, n = 1, 0
  while at <= #data do
    local newline = data:find("\\n", at, true)
    local size = tonumber(data:sub(at, newline - 1))
    if n %% 2 == offset then reqs[#reqs + 1] = data:sub(newline + 1, newline + size) end
    n = n + 1; at = newline + 1 + size
  end
  data = nil
end
counter, repeated = 0, 0
request = function()
  counter = counter + 1
  if counter > #reqs then repeated = repeated + 1 end
  return reqs[(counter - 1) %% #reqs + 1]
end
done = function(summary, latency, requests)
  local total = 0
  for _, thread in ipairs(threads) do total = total + thread:get("repeated") end
  io.write("repeated: " .. total .. "\\n")
end
"""


def raw_request(request, port: int) -> bytes:
    """One ``channels.testing.Request`` as the bytes wrk sends."""
    target = request.path + (f"?{request.query}" if request.query else "")
    headers = {"Host": f"127.0.0.1:{port}", **request.headers}
    if request.content_type:
        headers["Content-Type"] = request.content_type
    if request.method != "GET" or request.body:
        headers["Content-Length"] = str(len(request.body))
    head = "".join(f"{name}: {value}\r\n" for name, value in headers.items())
    return f"{request.method} {target} HTTP/1.1\r\n{head}\r\n".encode("latin-1") + request.body


def recorded(requests_made, port: int, path: Path) -> str:
    """wrk's script for requests made here (signed now, each new), written to ``path``."""
    with path.open("wb") as out:
        for request in requests_made:
            raw = raw_request(request, port)
            out.write(b"%d\n" % len(raw) + raw)
    return RECORDED_LUA % {"path": path}


def webhook_requests(count: int):
    """The agency app's reports, signed as Standard Webhooks says, a new webhook-id each."""
    from datetime import datetime, timezone

    from standardwebhooks import Webhook

    from channels.testing import Request

    signer, now = Webhook(WEBHOOK_SECRET), datetime.now(timezone.utc)
    prefix = os.urandom(4).hex()
    for n in range(count):
        body = json.dumps({"id": f"SW-{prefix}-{n}", "jenis": "pengaduan",
                           "laporan": {"isi": "Jalan berlubang di depan pasar Minggu"},
                           "pelapor": {"hp": "081234567890"}, "lokasi": {"alamat": "Bandung"}})
        yield Request("POST", "/in/bench-webhook", body=body.encode(), content_type="application/json",
                      headers={"webhook-id": f"msg_{prefix}_{n}",
                               "webhook-timestamp": str(int(now.timestamp())),
                               "webhook-signature": signer.sign(f"msg_{prefix}_{n}", now, body)})


def sender_requests(sender, count: int, first: int):
    """The channel's own test sender (``channels/<name>/testing.py``): signed as the
    provider signs, a new message (and sender) each."""
    return (sender.request(TEXT, n) for n in range(first, first + count))


API_KEY_LUA = """
counter = 0
request = function()
  counter = counter + 1
  return wrk.format("POST", "/api/v1/complaints", {["Content-Type"] = "application/json",
    ["Authorization"] = "Bearer %(key)s", ["Idempotency-Key"] = id_prefix .. "-" .. counter},
    '{"classification": "pengaduan", "body": "Jalan berlubang di depan pasar Minggu", "contact": "0812'
    .. string.format("%%08d", (id_prefix + counter) %% 100000000) .. '"}')
end
setup = function(thread) thread:set("id_prefix", tostring(math.random(1, 1e9))) end
"""
BARE_APP = '''
import os

import redis
from flask import Flask

PAYLOAD = "x" * 1500


def create_app():
    app = Flask(__name__)
    client = redis.Redis.from_url(os.environ["LAPOR_REDIS_URL"])

    @app.route("/ping", methods=["GET", "POST"])
    def ping():
        return "OK"

    @app.route("/lpush", methods=["GET", "POST"])
    def lpush():
        client.lpush("bench.lpush", PAYLOAD)
        return "OK"

    return app
'''
