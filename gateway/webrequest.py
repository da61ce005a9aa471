"""Build the framework-neutral ``WebRequest`` from a WSGI environ.

``from_environ`` is the one builder: the doors' WSGI path (``gateway.doors.DoorPath``) calls
it with the body it read, Flask's routes through ``from_flask``. The URL is rebuilt on
``LAPOR_PUBLIC_BASE_URL`` when set, so signatures computed by a provider over the public URL
still verify behind a proxy; without it, on the request's own scheme, host and root path.
Header names are lower-case, as werkzeug lists them (``Content-Type`` and
``Content-Length`` from their CGI keys when not empty).
"""
from __future__ import annotations

from flask import request
from werkzeug.wsgi import get_host

from channels.base import Rejected, UploadedFile, WebRequest

WEB_DOOR = "web"        # the door the form (/lapor) and the JSON API take submissions through
_CGI_HEADERS = (("CONTENT_TYPE", "content-type"), ("CONTENT_LENGTH", "content-length"))
_NOT_HEADERS = frozenset({"HTTP_CONTENT_TYPE", "HTTP_CONTENT_LENGTH"})


def web_adapter(parts):
    """The web door's adapter; Rejected(404) when the doors file has no ``web`` door of the
    web channel (the form and the API then answer 404, not 500)."""
    adapter = parts.adapters.get(WEB_DOOR)
    if adapter is None or adapter.door.channel != "web":
        raise Rejected(404, "no web door configured")
    return adapter


def wsgi_text(value: str) -> str:
    """A WSGI environ string (bytes held as latin-1) read as UTF-8, as werkzeug reads paths."""
    return value.encode("latin-1").decode("utf-8", "replace")


def headers_of(environ: dict) -> dict[str, str]:
    """The request's headers, names lower-case."""
    headers = {key[5:].replace("_", "-").lower(): value for key, value in environ.items()
               if key.startswith("HTTP_") and key not in _NOT_HEADERS}
    for key, name in _CGI_HEADERS:
        if environ.get(key):
            headers[name] = environ[key]
    return headers


def from_environ(environ: dict, public_base_url: str, body: bytes, headers: dict[str, str],
                 form: dict[str, str] | None = None, files: tuple[UploadedFile, ...] = ()) -> WebRequest:
    path = "/" + wsgi_text(environ.get("PATH_INFO", "")).lstrip("/")
    query = environ.get("QUERY_STRING", "").encode("latin-1")
    base = public_base_url or (f"{environ['wsgi.url_scheme']}://{get_host(environ)}"
                               f"{wsgi_text(environ.get('SCRIPT_NAME', '')).rstrip('/')}")
    url = base + path + (("?" + query.decode("latin-1")) if query else "")
    return WebRequest(method=environ["REQUEST_METHOD"], url=url, path=path, headers=headers,
                      query_string=query, body=body, content_type=environ.get("CONTENT_TYPE", ""),
                      remote_addr=environ.get("REMOTE_ADDR", ""), form=form or {}, files=files)


def from_flask(public_base_url: str = "") -> WebRequest:
    """The ``WebRequest`` of Flask's current request; a multipart body decoded into ``form``
    and ``files`` (``body`` then empty)."""
    headers = headers_of(request.environ)
    if (request.content_type or "").startswith("multipart/form-data"):
        form = {key: request.form.get(key, "") for key in request.form.keys()}
        files = tuple(UploadedFile(field=name, filename=item.filename or "",
                                   content_type=item.mimetype or "", data=item.read())
                      for name, item in request.files.items(multi=True) if item.filename)
        return from_environ(request.environ, public_base_url, b"", headers, form, files)
    return from_environ(request.environ, public_base_url, request.get_data(cache=True), headers)
