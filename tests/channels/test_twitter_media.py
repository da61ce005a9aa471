"""The Twitter/X door's media downloads against a local HTTP server standing in for X's
media hosts (pbs.twimg.com and video.twimg.com; ton.twitter.com, OAuth-signed, for DM media)."""
from __future__ import annotations

import pytest

from channels.base import SendError
from normalizer.values import Attachment
from tests.channels.twitter_support import JPEG, adapter_for, oauth_signed


@pytest.fixture
def x_api(x_server):
    """The stand-in for X's media hosts, with a fresh script and record for each test."""
    x_server.requests.clear()
    x_server.responses[:] = []
    return x_server


# ----- media -------------------------------------------------------------------------------------
def test_fetch_tweet_photo(x_api):
    x_api.default = (200, {"Content-Type": "image/jpeg"}, JPEG)
    data, content_type = adapter_for(x_api).fetch_media(Attachment(
        "image", "image/jpeg", provider_ref="https://pbs.twimg.com/media/GcXk1LbWkAAq3Zp.jpg"))
    assert (data, content_type) == (JPEG, "image/jpeg")
    [request] = x_api.requests
    assert request["path"] == "/media/GcXk1LbWkAAq3Zp.jpg" and "authorization" not in request["headers"]


def test_fetch_video_keeps_the_query(x_api):
    x_api.default = (200, {"Content-Type": "video/mp4"}, b"\x00\x00\x00\x18ftypmp42")
    ref = "https://video.twimg.com/ext_tw_video/1861000000000000200/pu/vid/avc1/1280x720/hi3Qw.mp4?tag=12"
    data, content_type = adapter_for(x_api).fetch_media(Attachment("video", "video/mp4", provider_ref=ref))
    assert content_type == "video/mp4" and data.endswith(b"ftypmp42")
    assert x_api.requests[0]["path"] == "/ext_tw_video/1861000000000000200/pu/vid/avc1/1280x720/hi3Qw.mp4?tag=12"


def test_fetch_dm_media_is_oauth_signed(x_api):
    x_api.default = (200, {"Content-Type": "image/jpeg"}, JPEG)
    ref = "https://ton.twitter.com/1.1/ton/data/dm/1861000000000000301/1861000000000000300/Lp0Zq.jpg"
    data, _ = adapter_for(x_api).fetch_media(Attachment("image", "image/jpeg", provider_ref=ref))
    assert data == JPEG and oauth_signed(x_api.requests[0], x_api.url)


@pytest.mark.parametrize("status,permanent", [(404, True), (403, True), (410, True),
                                              (500, False), (503, False), (429, False)])
def test_fetch_failures(x_api, status, permanent):
    x_api.default = (status, {"Content-Type": "text/plain"}, b"no")
    with pytest.raises(SendError) as failed:
        adapter_for(x_api).fetch_media(Attachment(
            "image", "image/jpeg", provider_ref="https://pbs.twimg.com/media/Gone.jpg"))
    assert failed.value.permanent is permanent and str(status) in failed.value.reason


def test_fetch_refuses_media_over_the_limit(x_api):
    # the download is abandoned mid-body: the stand-in closes that connection afterwards
    x_api.default = (200, {"Content-Type": "image/jpeg", "Connection": "close"}, JPEG)
    with pytest.raises(SendError) as failed:
        adapter_for(x_api, max_media_bytes=1024).fetch_media(Attachment(
            "image", "image/jpeg", provider_ref="https://pbs.twimg.com/media/Big.jpg"))
    assert failed.value.permanent and "larger than 1024" in failed.value.reason


@pytest.mark.parametrize("ref", ["https://evil.example/media/x.jpg", "http://pbs.twimg.com/media/x.jpg",
                                 "media_key:3_1861000000000000150", "file:///etc/passwd", "",
                                 "https://127.0.0.1:1\\@pbs.twimg.com/media/x.jpg",
                                 "https://user:pass@pbs.twimg.com/media/x.jpg",
                                 "https://pbs.twimg.com:8443/media/x.jpg"])
def test_fetch_only_from_x_media_hosts(x_api, ref):
    with pytest.raises(SendError) as failed:
        adapter_for(x_api).fetch_media(Attachment("image", "image/jpeg", provider_ref=ref))
    assert failed.value.permanent and x_api.requests == []
