"""The channel tables, derived: every channel of the registry
(``channels.registry.available_channels()``) and its test sender
(``channels.registry.sender_of``: ``SENDER`` of ``<package>.testing``). The security and
fuzz tables (every door verifies, the adapter fuzz, the unicode corpus, replays...), the
security tests' doors file (one door per channel: each sender's ``door``), their
environment and the secrets no answer may echo all come from here, so a new channel is
covered by its package and its cases file; ``tests/channels/test_cases.py`` fails, naming
the channel, while one has no sender or no cases file.
"""
from __future__ import annotations

import json
from pathlib import Path

from channels.registry import NoTestSender, available_channels, sender_of
from channels.testing import PUBLIC, Sender
from config.doors import load_catalogue
from config.settings import load_settings

CENTRAL_SECRET = "central-secret-for-security-tests"
TESTDATA = Path(__file__).parent / "channels" / "testdata"


def registry_senders() -> dict[str, Sender]:
    """channel -> its test sender, for every registered channel that has one (the others
    are named by ``missing_senders``)."""
    found = {}
    for channel in sorted(available_channels()):
        try:
            found[channel] = sender_of(channel)
        except NoTestSender:
            continue
    return found


def missing_senders() -> list[str]:
    """Why each registered channel without a test sender has none."""
    reasons = []
    for channel in sorted(available_channels()):
        try:
            sender_of(channel)
        except NoTestSender as missing:
            reasons.append(str(missing))
    return reasons


def cases_path(channel: str, sender: Sender) -> Path:
    """A channel's cases file: its sender's ``cases_file``, or testdata/<channel>.json."""
    return sender.cases_file or TESTDATA / f"{channel}.json"


#: channel -> its sender
SIGNERS: dict[str, Sender] = registry_senders()
#: door id -> sender, for the doors whose provider signs its calls (the web door's JSON
#: entrances are public: no signature to forge, see docs/security.md)
SENDERS: dict[str, Sender] = {sender.door_id: sender for sender in SIGNERS.values() if sender.forgeries}


def json_senders(senders: dict[str, Sender]) -> dict[str, Sender]:
    """door id -> sender, for the doors whose provider posts signed JSON (their senders have
    ``payload(text, n)`` and ``serialize(payload)``: the JSON fuzz and hostile-JSON tables)."""
    return {sender.door_id: sender for sender in senders.values()
            if sender.forgeries and "json" in sender.request("x", 1).content_type}


JSON_SENDERS: dict[str, Sender] = json_senders(SIGNERS)
#: the door each channel's sender calls, one per channel
DOORS: list[str] = [sender.door_id for sender in SIGNERS.values()]
#: values no answer or log line may carry
SECRETS: tuple[str, ...] = (*(s for sender in SIGNERS.values() for s in sender.secrets), CENTRAL_SECRET)


def cases_environ(environ: dict, table: dict, sender: Sender, folder: Path, scratch: Path) -> dict:
    """The gateway's environment for a cases file: ``environ`` with the file's ``environ``
    (a doors file named there is relative to the cases file's ``folder``). A file that names
    no doors file, for a door the default doors lack, gets the defaults plus its sender's
    door (``"extends": "defaults"``, written under ``scratch``) and the sender's environ
    under its own."""
    environ = dict(environ)
    own = table.get("environ", {})
    if "LAPOR_DOORS_FILE" not in own and table["door"] not in load_catalogue(load_settings(environ)).doors:
        doors = scratch / f"{table['channel']}-doors.json"
        doors.write_text(json.dumps({"extends": "defaults", "doors": [sender.door]}), "utf-8")
        environ.update(sender.environ, LAPOR_DOORS_FILE=str(doors))
    for key, value in own.items():
        environ[key] = str(folder / value) if key == "LAPOR_DOORS_FILE" else value
    return environ


def write_security_doors(path: Path, senders: dict[str, Sender] | None = None) -> Path:
    """The security tests' doors file: every sender's door."""
    doors = [sender.door for sender in (SIGNERS if senders is None else senders).values()]
    path.write_text(json.dumps({"_about": "one door per channel, from each channel's test sender",
                                "doors": doors, "routing": []}), "utf-8")
    return path


def security_environ(doors_file: Path, senders: dict[str, Sender] | None = None) -> dict[str, str]:
    """The security tests' gateway environment: the doors file, the public base URL the
    providers sign, the central system's callback secret, every sender's credentials."""
    environ = {"LAPOR_DOORS_FILE": str(doors_file), "LAPOR_PUBLIC_BASE_URL": PUBLIC,
               "LAPOR_CENTRAL_SECRET": CENTRAL_SECRET}
    for sender in (SIGNERS if senders is None else senders).values():
        environ.update(sender.environ)
    return environ
