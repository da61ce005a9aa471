"""Gunicorn's own lines as JSON (``LAPOR_LOG_FORMAT=json``): ``--logger-class
gateway.accesslog.JsonLogger``.

The access line keeps the text of the plain format as its message (address, method, path,
status, bytes, time: the path only, never the query string, where Kannel puts the sender's
number) and adds the same facts as fields, with the request id the gateway answered in
``X-Request-ID``. Gunicorn's error log (worker starts, time-outs) is JSON too.
"""
from __future__ import annotations

import logging

from gunicorn.glogging import Logger

from config.logs import json_formatter


def _header(resp, name: str) -> str | None:
    for key, value in resp.headers or ():
        if key.lower() == name:
            return value
    return None


class JsonLogger(Logger):
    def setup(self, cfg):
        super().setup(cfg)
        for log in (self.error_log, self.access_log):
            for handler in log.handlers:
                handler.setFormatter(json_formatter())

    def access(self, resp, req, environ, request_time):
        if not self.access_log_enabled:
            return
        atoms = self.atoms(resp, req, environ, request_time)
        fields = {"remote": atoms["h"], "method": atoms["m"], "path": atoms["U"],
                  "status": atoms["s"], "bytes": atoms["b"], "ms": atoms["M"],
                  "request_id": _header(resp, "x-request-id")}
        self.access_log.log(logging.INFO, '%s "%s %s" %s %s %sms', atoms["h"], atoms["m"],
                            atoms["U"], atoms["s"], atoms["b"], atoms["M"], extra=fields)
