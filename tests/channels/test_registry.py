"""The channel registry (channels/registry.py): built-in channels come from the alias table
in the source, so a fresh clone knows them with no install; an agency's adapter comes from
an entry point and cannot take a built-in name; a new channel package is one alias line."""
from __future__ import annotations

import sys
import textwrap
from importlib.metadata import EntryPoint

import pytest

from channels import registry
from channels.base import ChannelAdapter, Rejected, WebRequest
from config.doors import Door
from config.settings import SettingsError

TINY_ADAPTER = '''
"""A tiny channel for the registry test."""
from channels.base import ChannelAdapter, Rejected


class TinyAdapter(ChannelAdapter):
    name = "tiny"
    required_credentials = ("secret",)

    def verify(self, request):
        if request.header("x-secret") != self.door.credentials["secret"]:
            raise Rejected(403, "wrong secret")
'''


TINY_CLI = '''"""lapor-gateway tiny hello."""


def register(subparsers, context):
    tiny = subparsers.add_parser("tiny")
    tiny.set_defaults(func=lambda args: print("hello from tiny", callable(context.parts)) or 0)
'''


@pytest.fixture
def tiny_package(tmp_path, monkeypatch):
    """A channel package ``tinychan`` (adapter.py) on the import path, as a new channel is."""
    package = tmp_path / "tinychan"
    package.mkdir()
    (package / "__init__.py").write_text('"""Tiny channel."""\n')
    (package / "adapter.py").write_text(textwrap.dedent(TINY_ADAPTER))
    (package / "cli.py").write_text(TINY_CLI)
    monkeypatch.syspath_prepend(str(tmp_path))
    yield "tinychan.adapter:TinyAdapter"
    for name in ("tinychan.adapter", "tinychan.cli", "tinychan"):
        sys.modules.pop(name, None)


def test_built_in_channels_need_no_installed_entry_point(monkeypatch):
    monkeypatch.setattr(registry, "entry_points", lambda group: [])
    found = registry.available_channels()
    assert set(found) == set(registry.ALIASES) == {"kannel", "web", "manual", "telegram", "whatsapp",
                                                    "twilio", "twitter", "email", "webhook"}
    for name, entry in found.items():
        adapter = entry.load()
        assert issubclass(adapter, ChannelAdapter) and adapter.name == name


def test_an_entry_point_adds_a_channel_but_cannot_take_a_built_in_name(monkeypatch, tiny_package):
    installed = [EntryPoint("tiny", tiny_package, registry.ENTRY_POINT_GROUP),
                 EntryPoint("kannel", tiny_package, registry.ENTRY_POINT_GROUP)]
    monkeypatch.setattr(registry, "entry_points", lambda group: installed)
    found = registry.available_channels()
    assert found["tiny"].load().__name__ == "TinyAdapter"
    assert found["kannel"].load().__name__ == "KannelAdapter"


def test_one_alias_line_makes_a_new_channel_package_a_door(monkeypatch, tiny_package, settings):
    doors = {"tiny-1": Door("tiny-1", "tiny", "pemprov-jatim", credentials={"secret": "s3"}),
             "tiny-2": Door("tiny-2", "tiny", "pemprov-jatim")}
    with pytest.raises(SettingsError, match="no channel adapter named 'tiny'"):
        registry.build_adapters(doors, settings)
    monkeypatch.setitem(registry.ALIASES, "tiny", tiny_package)
    adapters = registry.build_adapters(doors, settings)
    request = WebRequest("POST", "http://x/in/tiny-1", "/in/tiny-1", {"x-secret": "s3"}, b"", b"")
    assert adapters["tiny-1"].authenticate(request) is None
    with pytest.raises(Rejected) as refused:             # the declared credential is unset
        adapters["tiny-2"].authenticate(request)
    assert (refused.value.status, refused.value.reason) == (503, "door not configured")


def test_a_channel_package_cli_adds_its_commands_to_the_gateway_cli(monkeypatch, tiny_package,
                                                                    capsys):
    from gateway.cli import build_parser

    monkeypatch.setitem(registry.ALIASES, "tiny", tiny_package)
    args = build_parser().parse_args(["tiny"])
    assert args.func(args) == 0 and capsys.readouterr().out == "hello from tiny True\n"
    built_in = {module.__name__ for module in registry.command_modules()}
    assert {"channels.telegram.cli", "channels.twitter.cli", "tinychan.cli"} <= built_in


def declarations_table() -> str:
    """docs/architecture.md's table of what each built-in adapter declares, built from the
    code (an installed channel package, such as examples/lapor-channel-example, documents
    its own)."""
    rows = ["| channel | required credentials | required options | known options | not configured |",
            "|---|---|---|---|---|"]
    for name, entry in sorted(registry.available_channels().items()):
        if name not in registry.ALIASES:
            continue
        adapter = entry.load()
        status, reason = adapter.not_configured
        cells = [name, ", ".join(adapter.required_credentials), ", ".join(adapter.required_options),
                 ", ".join(sorted(adapter.known_options or ())), f"{status} {reason}"]
        rows.append(" ".join(["|", *[f"{cell} |" if cell else "|" for cell in cells]]))
    return "\n".join(rows)


def test_the_architecture_table_of_declarations_matches_the_adapters():
    from pathlib import Path

    text = (Path(__file__).parents[2] / "docs" / "architecture.md").read_text("utf-8")
    start = text.index("<!-- declarations:")
    documented = text[text.index("\n", start) + 1:text.index("<!-- /declarations -->")]
    assert documented.strip() == declarations_table(), declarations_table()
