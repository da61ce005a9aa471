"""What the X adapter writes itself in public (the reply under a tweet, the "allow DMs"
notice) is in the citizen's language, as the reply says (``OutboundMessage.language``)."""
from __future__ import annotations

import pytest

from config import messages
from tests.channels.test_twitter_send import (DM_CLOSED, DM_SENT, NUMBER, TWEETED, USERNAME,
                                              adapter_for, calls, reply, x_api)

__all__ = ["x_api"]     # the stand-in for X's API, shared with test_twitter_send


@pytest.mark.parametrize("lang", ["en", "id"])
def test_public_ack_is_in_the_citizens_language(x_api, lang):
    x_api.responses = [TWEETED, DM_SENT]
    adapter_for(x_api).send(reply(language=lang))
    tweet = calls(x_api)[0][2]["text"]
    assert tweet == messages.text("ack_public", lang, tracking="2741-0935-882",
                                  where=messages.text("twitter_where_cek", lang,
                                                      mention=f"@{USERNAME} ", compact=NUMBER))


@pytest.mark.parametrize("lang", ["en", "id"])
def test_public_status_update_is_in_the_citizens_language(x_api, lang):
    x_api.responses = [TWEETED, DM_SENT]
    adapter_for(x_api, public_base_url="https://lapor.example.go.id").send(
        reply(kind="status", language=lang))
    assert calls(x_api)[0][2]["text"] == messages.text(
        "update_public", lang, tracking="2741-0935-882",
        where=messages.text("twitter_where_url", lang,
                            url=f"https://lapor.example.go.id/lapor/cek?nomor={NUMBER}"))


def test_dms_closed_notice_is_in_the_citizens_language(x_api):
    x_api.responses = [DM_CLOSED, TWEETED]
    adapter_for(x_api).send(reply(text=messages.text("help", "en"), kind="answer",
                                  tracking_number="", language="en"))
    assert calls(x_api)[1][2]["text"] == messages.text("dm_refused_public", "en")
