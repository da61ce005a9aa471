"""LAPOR_BROKER_URL as a failover list of RabbitMQ nodes (``config.broker``): the setting
(one URL, several, a bad item refused in one line that shows no password), the kombu
connection every part builds from it (``forwarder.topology.connect``), and a publisher
whose first node does not answer reaching the next on a real RabbitMQ."""
from __future__ import annotations

import pytest
from kombu import Connection

from config.settings import SettingsError, load_settings
from forwarder import topology
from forwarder.queue import Publisher
from tests.helpers import free_port


def _settings(tmp_path, broker_url: str):
    return load_settings({"LAPOR_DATA_DIR": str(tmp_path), "LAPOR_SECRET_KEY": "k" * 16,
                          "LAPOR_BROKER_URL": broker_url, "LAPOR_REDIS_URL": "redis://127.0.0.1:6379/0"})


def test_one_url_is_read_as_written(tmp_path):
    assert _settings(tmp_path, "amqp://u:p@rabbit1:5672/lapor").broker_url == "amqp://u:p@rabbit1:5672/lapor"


def test_several_urls_are_kombus_failover_list_in_order(tmp_path):
    listed = _settings(tmp_path, " amqp://u:p@rabbit1/lapor ; amqps://u:p@rabbit2/lapor;"
                                 "pyamqp://u:p@rabbit3:5673/lapor").broker_url
    assert listed == "amqp://u:p@rabbit1/lapor;amqps://u:p@rabbit2/lapor;pyamqp://u:p@rabbit3:5673/lapor"
    connection = topology.connect(listed)
    assert connection.alt == listed.split(";") and connection.hostname == "rabbit1"
    assert connection.transport_options["confirm_publish"] is True
    assert topology.is_amqp(listed)


@pytest.mark.parametrize("listed, reason", [
    ("amqp://u:s3cret@rabbit1//;redis://:s3cret@cache:6379/0", "item 2 is redis://"),
    ("amqp://u:s3cret@rabbit1//;", "item 2 is not a URL"),
    ("amqp://u:s3cret@rabbit1//;rabbit2:5672", "item 2 is rabbit2://"),
    ("amqp://u:s3cret@rabbit1//;amqp:///lapor", "item 2 has no host"),
    ("embedded;amqp://u:s3cret@rabbit1//", "item 1 is not a URL"),
])
def test_a_bad_item_is_one_line_naming_it_without_the_password(tmp_path, listed, reason):
    with pytest.raises(SettingsError) as refused:
        _settings(tmp_path, listed)
    message = str(refused.value)
    assert message.startswith("LAPOR_BROKER_URL: a failover list") and message.endswith(reason)
    assert "s3cret" not in message and "\n" not in message


def test_a_publisher_whose_first_node_is_down_publishes_to_the_next(amqp_url):
    down = f"amqp://guest:guest@127.0.0.1:{free_port()}/" + amqp_url.rsplit("/", 1)[1]
    publisher = Publisher(f"{down};{amqp_url}", topology.Topology())
    try:
        publisher.publish("complaint.new.api", {"id": "c-1"}, "c-1", "complaint")
    finally:
        publisher.close()
    with Connection(amqp_url) as connection:
        queue = topology.Topology().queue(topology.COMPLAINTS)(connection.default_channel)
        message = queue.get(no_ack=True)
    assert message is not None and message.payload == {"id": "c-1"}
    assert message.headers["idempotency_key"] == "c-1"
