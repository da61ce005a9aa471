"""The store's client never sends a command again after a lost answer: an intake script
whose answer is lost raises (and the complaint is spooled with its id), rather than running
a second time behind the intake's back. redis-py's plain constructor retries ten times by
default (8.1); ``from_url`` and the Sentinel pool, which ``store_client.connect`` uses, do not.
"""
from __future__ import annotations

import socket
import threading

import pytest
from redis.exceptions import ConnectionError as RedisConnectionError

from forwarder import store_client


@pytest.mark.parametrize("url", ["redis://127.0.0.1:6399/0", "unix:///tmp/no-such-redis.sock",
                                 "sentinel://127.0.0.1:26399/0?master_name=lapor"])
def test_a_store_connection_makes_no_retry(url):
    client = store_client.connect(url)
    assert client.connection_pool.make_connection().retry.get_retries() == 0


def _answers(data: bytes) -> bytes:
    """What a server says to the connection's own handshake (HELLO, PING, CLIENT SETINFO
    ...): one answer per command in ``data``."""
    def answer(command: bytes) -> bytes:
        if b"HELLO" in command:
            return b"%1\r\n$5\r\nproto\r\n:3\r\n"
        return b"+PONG\r\n" if b"PING" in command else b"+OK\r\n"
    return b"".join(answer(command) for command in data.split(b"\r\n*"))


def test_a_command_whose_answer_is_lost_is_sent_once():
    """A server that hangs up on the intake script before answering it: the client raises,
    and the server saw the script once."""
    listener = socket.create_server(("127.0.0.1", 0))
    scripts = []

    def serve():
        while True:
            try:
                peer, _ = listener.accept()
            except OSError:
                return
            with peer:
                while data := peer.recv(65536):
                    if b"EVALSHA" in data:
                        scripts.append(data)
                        break                        # the answer is lost
                    peer.sendall(_answers(data))

    threading.Thread(target=serve, daemon=True).start()
    try:
        client = store_client.connect(f"redis://127.0.0.1:{listener.getsockname()[1]}/0")
        with pytest.raises(RedisConnectionError):
            client.evalsha("0" * 40, 0)
    finally:
        listener.close()
    assert len(scripts) == 1
