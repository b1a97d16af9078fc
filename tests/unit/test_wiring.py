"""Hooks are connected by parley.wiring alone, never by importing a module."""

from __future__ import annotations

import ast
import subprocess
import sys
import textwrap

from tests.conftest import project_root

# Imports every module of the package, then reports each Hooks object's size
# before and after wire(), as "module.name before after".
_PROBE = textwrap.dedent(
    """
    import importlib, pkgutil
    import parley
    from parley.hooks import Hooks

    for info in pkgutil.walk_packages(parley.__path__, "parley."):
        if info.name in ("parley.bench_reference",):
            continue
        importlib.import_module(info.name)

    import sys
    found = []
    for name, module in sorted(sys.modules.items()):
        if name.startswith("parley."):
            for attribute, value in sorted(vars(module).items()):
                if isinstance(value, Hooks) and (id(value), value) not in found:
                    found.append((id(value), value))
                    print("before", f"{name}.{attribute}", len(value))

    from parley.wiring import wire
    wire()
    once = [len(hooks) for _, hooks in found]
    wire()
    for (_, hooks), size in zip(found, once):
        print("after", hooks.purpose.replace(" ", "_"), size, len(hooks))
    """
)


def test_importing_every_module_registers_no_hook_and_wire_fills_each_once() -> None:
    output = subprocess.run(
        [sys.executable, "-c", _PROBE],
        cwd=project_root(),
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    ).stdout.split("\n")
    before = [line.split() for line in output if line.startswith("before")]
    after = [line.split() for line in output if line.startswith("after")]
    assert len(before) >= 10
    assert all(size == "0" for _, _, size in before), before
    # Every extension point is used, and wiring twice adds nothing.
    assert all(int(once) >= 1 for _, _, once, _ in after), after
    assert all(once == twice for _, _, once, twice in after), after


def _imports(module: str) -> list[str]:
    path = project_root() / "src" / (module.replace(".", "/") + ".py")
    tree = ast.parse(path.read_text())
    return [
        node.module or "" for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)
    ]


def test_signaling_hub_and_room_deletion_do_not_import_each_other_or_the_runner() -> (
    None
):
    assert not any("runner" in name for name in _imports("parley.signaling.hub"))
    deletion = _imports("parley.signaling.room_deletion")
    assert not any(name.endswith(("hub", "runner")) for name in deletion)
