"""The webhook door's configuration, through the real gateway and Redis: the doors file's
mapping and callback URL checked at load (one line naming what is wrong), a door without its
secret or mapping refusing every call, ``check-config``, and attachments fetched through the
shared downloader within the limits."""
from __future__ import annotations

import subprocess
import sys
from dataclasses import replace

import pytest

from config.settings import SettingsError
from tests.channels import webhook_support as wh
from tests.channels.webhook_support import complaints, nothing_recorded
from tests.channels.webhook_support import gateway as _gateway

PUBLIC = "https://lapor.example.go.id"


@pytest.fixture
def environ(environ, tmp_path):
    environ.update(LAPOR_DOORS_FILE=wh.doors_file(tmp_path, wh.door()),
                   **{wh.SECRET_VARIABLE: wh.SECRET}, LAPOR_PUBLIC_BASE_URL=PUBLIC)
    return environ


@pytest.mark.parametrize("mapping", ["", {}, None])
def test_a_door_without_a_mapping_refuses_every_call(tmp_path, environ, mapping):
    door = wh.door()
    door["options"]["mapping"] = mapping
    environ["LAPOR_DOORS_FILE"] = wh.doors_file(tmp_path, door)
    client, parts = _gateway(environ)
    answer = wh.post(client, wh.report())
    assert answer.status_code == 503 and answer.get_json() == {"error": "door not configured"}
    nothing_recorded(parts)


def test_a_door_without_its_secret_refuses_every_call(tmp_path, environ):
    environ.pop(wh.SECRET_VARIABLE)
    client, parts = _gateway(environ)
    answer = wh.post(client, wh.report())
    assert answer.status_code == 503 and answer.get_json() == {"error": "door not configured"}
    nothing_recorded(parts)


# ----- the doors file ----------------------------------------------------------------------------------
@pytest.mark.parametrize("mapping, needle", [
    ({"text": "laporan/isi"}, "options.mapping.text: 'laporan/isi' is not a JSON Pointer"),
    ({"text": "/laporan/~2"}, "options.mapping.text: '/laporan/~2' is not a JSON Pointer"),
    ({"text": 7}, "options.mapping.text: '7' is not a JSON Pointer"),
    ({"sender": "/hp"}, "options.mapping: \"text\" is required"),
    ({"text": "/isi", "pengirim": "/hp"}, "options.mapping: unknown field 'pengirim'"),
])
def test_a_bad_mapping_stops_every_command_with_one_line(tmp_path, environ, mapping, needle):
    environ["LAPOR_DOORS_FILE"] = wh.doors_file(tmp_path, wh.door(mapping))
    with pytest.raises(SettingsError) as refused:
        _gateway(environ)
    assert needle in str(refused.value) and "\n" not in str(refused.value)
    run = subprocess.run([sys.executable, "-m", "gateway.cli", "check-config"], env=environ,
                         capture_output=True, text=True, timeout=60)
    assert run.returncode == 2
    assert run.stderr.strip().count("\n") == 0 and needle in run.stderr


@pytest.mark.parametrize("url", ["http://sapawarga.example.go.id/cb", "ftp://sapawarga.example.go.id/cb",
                                 "https://user:pw@sapawarga.example.go.id/cb", "file:///etc/passwd", "//x"])
def test_a_callback_url_that_is_not_https_stops_every_command(tmp_path, environ, url):
    environ["LAPOR_DOORS_FILE"] = wh.doors_file(tmp_path, wh.door(callback_url=url))
    with pytest.raises(SettingsError, match="options.callback_url must be an https URL"):
        _gateway(environ)


def test_check_config_prints_a_well_configured_webhook_door(tmp_path, environ):
    environ["LAPOR_DOORS_FILE"] = wh.doors_file(tmp_path, wh.door(callback_url="https://sapawarga.example.go.id/cb"))
    run = subprocess.run([sys.executable, "-m", "gateway.cli", "check-config"], env=environ,
                         capture_output=True, text=True, timeout=60)
    assert f"door {wh.DOOR_ID}: channel=webhook" in run.stdout, run.stdout + run.stderr
    assert f"url={PUBLIC}/in/{wh.DOOR_ID}" in run.stdout
    assert wh.SECRET not in run.stdout + run.stderr
    assert "error" not in run.stderr, run.stderr


# ----- attachments ---------------------------------------------------------------------------------------
def test_attachments_are_fetched_through_the_shared_downloader_within_the_limits(tmp_path, environ):
    """The media worker's call: the attachment's bytes from the agency's file server (a
    local stand-in, named as a test origin); larger than LAPOR_MAX_ATTACHMENT_BYTES or on
    loopback without the test option: refused, permanently, without reading it."""
    from channels.base import SendError
    from tests.helpers import Receiver

    environ["LAPOR_MAX_ATTACHMENT_BYTES"] = "1024"
    with Receiver(default=(200, {"Content-Type": "image/png"}, b"\x89PNG" + b"0" * 100)) as files:
        environ["LAPOR_DOORS_FILE"] = wh.doors_file(tmp_path, wh.door(insecure_origins_for_tests=[files.url]))
        client, parts = _gateway(environ)
        answer = wh.post(client, wh.report(lampiran=[files.url + "/f/foto.png"]))
        assert answer.status_code == 201, answer.data
        [item] = complaints(parts)[0]["attachments"]
        adapter = parts.adapters[wh.DOOR_ID]
        from normalizer.values import Attachment
        data, kind = adapter.fetch_media(Attachment("image", item["content_type"], provider_ref=item["provider_ref"]))
        assert data.startswith(b"\x89PNG") and kind == "image/png"
        files.default = (200, {}, b"0" * 2000)
        with pytest.raises(SendError) as refused:
            adapter.fetch_media(Attachment("image", "image/png", provider_ref=files.url + "/big.png"))
        assert refused.value.permanent and "larger than 1024" in refused.value.reason
        bare = type(adapter)(replace(parts.catalogue.doors[wh.DOOR_ID], options={"mapping": wh.MAPPING}),
                             parts.settings)
        count = len(files.requests)
        with pytest.raises(SendError) as refused:
            bare.fetch_media(Attachment("image", "image/png", provider_ref=files.url + "/f/foto.png"))
        assert refused.value.permanent and len(files.requests) == count


def test_a_long_pointer_is_cut_in_the_reason(tmp_path, environ):
    """Refusals stay short (the fuzz tables hold every reason to 120 characters), whatever
    pointers the operator wrote."""
    long = "/" + "laporan_warga_" * 8 + "/isi"
    environ["LAPOR_DOORS_FILE"] = wh.doors_file(tmp_path, wh.door({"text": long, "latitude": long + "/lat",
                                                                   "longitude": long + "/lng"}))
    client, parts = _gateway(environ)
    for body in ({}, {"laporan_warga_": 1}):
        answer = wh.post(client, body)
        assert answer.status_code == 422 and answer.get_json()["error"] == f"no text at '{long[:27]}...'"
    assert len(answer.get_json()["error"]) <= 120
    nothing_recorded(parts)
