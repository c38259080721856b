"""Run in the *target* interpreter with a release overlay on PYTHONPATH (standard library only).

    python import_check.py [--no-import]

Prints one JSON line: where ``liquid_audio`` resolves, which liquid-audio and transformers versions
this path sees, and the first line of the error if ``import liquid_audio`` fails. With --no-import
it only locates the package (milliseconds instead of seconds: no torch import).
"""

import importlib.util
import json
import os
import sys


def first_line(exc):
    text = str(exc).strip().splitlines()
    return "{}: {}".format(type(exc).__name__, text[0] if text else "").rstrip(": ")


def version(name):
    try:
        from importlib import metadata

        return metadata.version(name)
    except Exception:  # noqa: BLE001 - any metadata problem means: unknown
        return None


def main():
    spec = importlib.util.find_spec("liquid_audio")
    location = None
    if spec is not None and spec.submodule_search_locations:
        location = next(iter(spec.submodule_search_locations))
    facts = {
        "location": location,
        "liquid_audio": version("liquid-audio"),
        "transformers": version("transformers"),
        "error": None,
    }
    if location is not None and "--no-import" not in sys.argv[1:]:
        try:
            import liquid_audio  # noqa: F401
        except BaseException as exc:  # noqa: BLE001 - whatever the release raises is the finding
            facts["error"] = first_line(exc)
    module = sys.modules.get("transformers")
    facts["transformers_location"] = os.path.dirname(module.__file__) if module and module.__file__ else None
    print(json.dumps(facts), flush=True)


if __name__ == "__main__":
    main()
