"""The doors part of ``lapor-gateway check-config``: every door, its public URL, and what
it lacks.

Each door is printed with its full public URL (``<LAPOR_PUBLIC_BASE_URL>/in/<id>``, the
address to register with its provider), or its path and a note to set
``LAPOR_PUBLIC_BASE_URL``. Errors (exit 2), one line each on stderr:

* a credential (or option) the door's adapter requires is not set
  (``ChannelAdapter.required_credentials`` / ``required_options``: the same declaration
  that makes the door refuse every call), naming the ``LAPOR_`` variable to set; except for
  a door of the shipped defaults none of whose variables is set: a channel the operator
  does not use (yet), reported as "not configured yet";
* a credential written into the doors file instead of naming a ``LAPOR_`` variable;
* an option the adapter does not read (``known_options``): a misspelling;
* an X door asking for the mentions poller (``"poll": true``) without what it reads with.

Unknown keys of the doors file itself are refused earlier, when the catalogue is loaded
(``config.doors``).

No secret value is ever printed: a secret derived from ``LAPOR_SECRET_KEY`` in the
embedded default is named by the variable that would replace it, never shown.
"""
from __future__ import annotations

import sys

from channels.registry import command_modules
from config.doors import DEFAULTS, DERIVABLE, public_url


def _derived_notes(settings, door) -> None:
    """In embedded mode, name each door secret derived from LAPOR_SECRET_KEY."""
    for key in sorted(DERIVABLE & set(door.variables)):
        variable = door.variables[key]
        if settings.mode == "embedded" and not settings.door_variables.get(variable):
            print(f"  embedded default: {key} is derived from LAPOR_SECRET_KEY "
                  f"({settings.data_dir / 'secret_key'}); set {variable} to choose it "
                  f"(required in production)")


def report(parts) -> int:
    """Print the doors; return the number of doors with errors."""
    settings = parts.settings
    if not settings.public_base_url:
        print("note: LAPOR_PUBLIC_BASE_URL is not set: door paths are shown; providers need "
              "the full public https URL (set LAPOR_PUBLIC_BASE_URL)")
    errors = 0
    for door in parts.catalogue.doors.values():
        adapter = parts.adapters[door.id]
        print(f"door {door.id}: channel={door.channel} agency={door.agency!r} "
              f"url={public_url(settings, door.id) or '/in/' + door.id}")
        missing = type(adapter).missing(door)
        names = ", ".join(door.variables.get(key, key) for key in missing)
        set_here = [var for var in door.variables.values() if settings.door_variables.get(var)]
        if missing and door.origin == DEFAULTS and not set_here:
            print(f"  not configured yet (refuses every call): set {names}")
        elif missing:
            print(f"error: door {door.id}: missing required {names} (the door refuses every "
                  f"call until it is set)", file=sys.stderr)
            errors += 1
        for key in sorted(set(door.credentials) - set(door.variables)):
            print(f"error: door {door.id}: credentials.{key} must name a LAPOR_ environment "
                  f"variable, not hold the value (secrets stay out of files)", file=sys.stderr)
            errors += 1
        for key in type(adapter).unknown_options(door):
            print(f"error: door {door.id}: unknown option {key!r} (known: "
                  f"{', '.join(sorted(type(adapter).known_options))})", file=sys.stderr)
            errors += 1
        _derived_notes(settings, door)
    for module in command_modules():           # a channel's own checks (X: "poll": true)
        for error in getattr(module, "check_config", lambda parts: [])(parts):
            print(f"error: {error}", file=sys.stderr)
            errors += 1
    return errors
