"""Comparisons of secrets are constant time: read each adapter's code (its ``verify`` and,
where it has one, its handshake ``challenge``) and check that the secret or signature is
compared with ``hmac.compare_digest`` (the Twilio adapter: over signatures that twilio's
``RequestValidator`` computes), that no ``==``/``!=``/``in`` touches a secret, signature or
token there, and that no comparison result is short-circuited by a constant
(``True or compare_digest(...)`` accepts everything). The behavioural table
(test_every_door_verifies.py) shows the comparisons refuse; this shows how they compare.
"""
from __future__ import annotations

import ast
import importlib
import inspect
import textwrap

import pytest

from channels.base import ChannelAdapter
from channels.registry import available_channels

SECRET_WORDS = ("secret", "signature", "token", "expected", "given", "digest", "password")
#: handshakes that read a credential only to sign the provider's token, comparing nothing:
#: X's CRC answers sha256=base64(HMAC(consumer secret, crc_token)); checked below as such
SIGNING_CHALLENGES = {"twitter"}
#: adapters whose ``verify`` hands the comparison to the standard's reference library: it must
#: call that library's verifier, and the library must compare with ``hmac.compare_digest``
LIBRARY_VERIFIERS = {"webhook": ("standardwebhooks", "Webhook")}


def tree_of(function) -> ast.AST:
    return ast.parse(textwrap.dedent(inspect.getsource(function)))


def calls(tree: ast.AST) -> set[str]:
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            func = node.func
            names.add(func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", ""))
    return names


def _mentions_secret(node: ast.AST) -> bool:
    for sub in ast.walk(node):
        name = sub.id if isinstance(sub, ast.Name) else sub.attr if isinstance(sub, ast.Attribute) else ""
        if any(word in name.lower() for word in SECRET_WORDS):
            return True
    return False


def plain_secret_comparisons(tree: ast.AST) -> list[str]:
    """``a == b`` / ``a != b`` / ``a in b`` where an operand names a secret or signature
    (comparisons with a constant, such as ``if not given`` or ``scheme != 'sha256'``, are
    about presence or form, not about the secret's value)."""
    found = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Compare):
            continue
        operands = [node.left, *node.comparators]
        if any(isinstance(op, ast.Constant) for op in operands):
            continue
        if any(isinstance(op, (ast.Eq, ast.NotEq, ast.In, ast.NotIn)) for op in node.ops) \
                and any(_mentions_secret(op) for op in operands):
            found.append(ast.unparse(node))
    return found


def constant_short_circuits(tree: ast.AST) -> list[str]:
    """``True or ...`` / ``False and ...``: a constant that decides the result before the
    comparison is looked at (``value or ''``, a default, is fine)."""
    found = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.BoolOp):
            continue
        deciding = bool if isinstance(node.op, ast.Or) else (lambda value: not value)
        if any(isinstance(v, ast.Constant) and deciding(v.value) for v in node.values[:-1]):
            found.append(ast.unparse(node))
    return found


def overrides(adapter: type, verb: str) -> bool:
    return getattr(adapter, verb) is not getattr(ChannelAdapter, verb)


def verbs_of(channel: str) -> tuple[str, ...]:
    """The verbs of a channel's adapter that see a credential, from the adapter itself: its
    ``verify`` when it declares required credentials (the web door declares none: its
    credential is the CSRF token, checked in gateway/forms.py), and its handshake
    ``challenge`` when it has one (unless it only signs, ``SIGNING_CHALLENGES``)."""
    adapter = available_channels()[channel].load()
    verbs = ("challenge",) if overrides(adapter, "challenge") and channel not in SIGNING_CHALLENGES else ()
    return verbs + (("verify",) if adapter.required_credentials else ())


CHANNELS = sorted(available_channels())


def test_every_installed_channel_is_checked():
    """Every channel with a credential has its verify checked: an adapter that declared
    credentials but kept the base verify (which accepts everything) would be a hole."""
    for channel in CHANNELS:
        adapter = available_channels()[channel].load()
        if adapter.required_credentials:
            assert overrides(adapter, "verify"), f"{channel} declares credentials but never verifies them"
    assert {verb for channel in CHANNELS for verb in verbs_of(channel)} == {"challenge", "verify"}


@pytest.mark.parametrize("channel", [c for c in CHANNELS if verbs_of(c)])
def test_adapter_compares_secrets_in_constant_time(channel):
    adapter = available_channels()[channel].load()
    for verb in verbs_of(channel):
        tree = tree_of(getattr(adapter, verb))
        comparing = tree
        if verb == "verify" and channel in LIBRARY_VERIFIERS:
            module, name = LIBRARY_VERIFIERS[channel]
            assert "verify" in calls(tree), f"{channel}.verify does not call {module}'s verify"
            comparing = tree_of(getattr(importlib.import_module(module), name).verify)
        assert "compare_digest" in calls(comparing), f"{channel}.{verb} does not use hmac.compare_digest"
        assert not plain_secret_comparisons(tree), (channel, verb, plain_secret_comparisons(tree))
        assert not constant_short_circuits(tree), (channel, verb, constant_short_circuits(tree))


@pytest.mark.parametrize("channel", sorted(SIGNING_CHALLENGES))
def test_signing_handshakes_sign_and_compare_nothing(channel):
    """X's CRC handshake reads the consumer secret only to HMAC the token it was sent: it
    must compute that HMAC and compare no secret, so it cannot leak one by timing."""
    adapter = available_channels()[channel].load()
    assert overrides(adapter, "challenge")
    tree = tree_of(adapter.challenge)
    assert "compare_digest" not in calls(tree) and "signature" in calls(tree)
    assert not plain_secret_comparisons(tree) and not constant_short_circuits(tree)


def test_twilio_signatures_come_from_the_sdk_validator():
    from channels.twilio.adapter import TwilioAdapter
    tree = tree_of(TwilioAdapter.verify)
    assert {"RequestValidator", "compute_signature", "compare_digest"} <= calls(tree)


def test_web_form_csrf_and_central_callbacks_compare_in_constant_time():
    """The web door's credential is the CSRF token (flask-wtf checks it); the central
    system's status callback is checked by ``forwarder.central.check_signature``."""
    import flask_wtf.csrf

    from forwarder import central
    from gateway import forms

    assert "validate_csrf" in calls(tree_of(forms.submit))
    assert "compare_digest" in calls(tree_of(flask_wtf.csrf.validate_csrf))
    tree = tree_of(central.check_signature)
    assert "compare_digest" in calls(tree)
    assert not plain_secret_comparisons(tree) and not constant_short_circuits(tree)


def test_the_checker_catches_what_it_is_for():
    """The three defects this file looks for, written out, are caught."""
    bad = ast.parse(textwrap.dedent("""
        def verify(self, request):
            matched = True or hmac.compare_digest(expected, given)
            default = self.secret or ""
            if given_token != self.secret:
                raise Rejected(403, "wrong")
    """))
    assert constant_short_circuits(bad) == ["True or hmac.compare_digest(expected, given)"]
    assert plain_secret_comparisons(bad) == ["given_token != self.secret"]
    assert "compare_digest" not in calls(ast.parse("def verify(r):\n    return r.sig == KEY\n"))
