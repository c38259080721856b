"""Run in the *target* interpreter with a release overlay on PYTHONPATH (standard library only).

    python import_check_child.py [--no-import]
    python import_check_child.py --target

Reports one record (``lfmdoctor.child_protocol``), ``import``: where ``liquid_audio`` resolves, which
liquid-audio and transformers versions this path sees, and the first line of the error if
``import liquid_audio`` fails. With --no-import
it only locates the packages (tens of milliseconds instead of seconds: no torch import, and versions
come from the ``.dist-info`` folder beside each package rather than a scan of every distribution).
With --target (no overlay), the record is ``target``: the interpreter's Python and transformers versions
and its platform ("Linux x86_64").
"""

import importlib.util
import os
import platform
import sys

# lfmdoctor/child_protocol.py, by path (lfmdoctor may not be importable here): in the folder above when
# installed (lfmdoctor/<sub>/this file), in its lfmdoctor/ folder in the source tree (<sub>/ beside it).
_UP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
_AT = next(d for d in (_UP, os.path.join(_UP, "lfmdoctor")) if os.path.isfile(os.path.join(d, "child_protocol.py")))
_SPEC = importlib.util.spec_from_file_location("lfmdoctor_child_protocol", os.path.join(_AT, "child_protocol.py"))
protocol = importlib.util.module_from_spec(_SPEC)
_SPEC.loader.exec_module(protocol)


def located(name):
    """Where the top-level package ``name`` resolves on this path, without importing it."""
    try:
        spec = importlib.util.find_spec(name)
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    return next(iter(spec.submodule_search_locations))


def version(name, location=None):
    """The version of distribution ``name``: read from the one ``.dist-info`` folder beside the package
    at ``location`` when there is one (a directory listing: much cheaper than importlib.metadata, and it
    is the copy that gets imported), else from importlib.metadata."""
    if location:
        prefix = name.replace("-", "_").lower() + "-"
        try:
            found = [
                entry
                for entry in os.listdir(os.path.dirname(location))
                if entry.lower().startswith(prefix) and entry.endswith(".dist-info")
            ]
        except OSError:
            found = []
        if len(found) == 1:
            return found[0][len(prefix) : -len(".dist-info")]
    try:
        from importlib import metadata

        return metadata.version(name)
    except Exception:
        return None


def target_facts():
    return {
        "python": platform.python_version(),
        "transformers": version("transformers", located("transformers")),
        "platform": f"{platform.system()} {platform.machine()}",
    }


def main():
    if "--target" in sys.argv[1:]:
        protocol.emit("target", **target_facts())
        return
    location = located("liquid_audio")
    transformers = located("transformers")
    facts = {
        "location": location,
        "liquid_audio": version("liquid-audio", location),
        "transformers": version("transformers", transformers),
        "transformers_location": transformers,
        "error": None,
    }
    if location is not None and "--no-import" not in sys.argv[1:]:
        try:
            import liquid_audio  # noqa: F401
        except BaseException as exc:
            facts["error"] = protocol.error_line(exc)
        module = sys.modules.get("transformers")
        if module is not None and getattr(module, "__file__", None):
            facts["transformers_location"] = os.path.dirname(module.__file__)
    protocol.emit("import", **facts)


if __name__ == "__main__":
    main()
