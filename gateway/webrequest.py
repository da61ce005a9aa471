"""Build the framework-neutral ``WebRequest`` from Flask's request.

The URL is rebuilt on ``LAPOR_PUBLIC_BASE_URL`` when set, so signatures computed by a
provider over the public URL still verify behind a proxy.
"""
from __future__ import annotations

from flask import request

from channels.base import Rejected, UploadedFile, WebRequest

WEB_DOOR = "web"        # the door the form (/lapor) and the JSON API take submissions through


def web_adapter(parts):
    """The web door's adapter; Rejected(404) when the doors file has no ``web`` door of the
    web channel (the form and the API then answer 404, not 500)."""
    adapter = parts.adapters.get(WEB_DOOR)
    if adapter is None or adapter.door.channel != "web":
        raise Rejected(404, "no web door configured")
    return adapter


def from_flask(public_base_url: str = "") -> WebRequest:
    query = request.query_string
    base = public_base_url or f"{request.scheme}://{request.host}{request.root_path}"
    url = base + request.path + (("?" + query.decode("latin-1")) if query else "")
    content_type = request.content_type or ""
    form, files, body = {}, (), b""
    if content_type.startswith("multipart/form-data"):
        form = {key: request.form.get(key, "") for key in request.form.keys()}
        files = tuple(UploadedFile(field=name, filename=item.filename or "",
                                   content_type=item.mimetype or "", data=item.read())
                      for name, item in request.files.items(multi=True) if item.filename)
    else:
        body = request.get_data(cache=True)
    return WebRequest(
        method=request.method, url=url, path=request.path,
        headers={key.lower(): value for key, value in request.headers.items()},
        query_string=query, body=body, content_type=content_type,
        remote_addr=request.remote_addr or "", form=form, files=files,
    )
