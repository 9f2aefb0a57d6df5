"""The house's rules, checked on the source: the layers, the rooms' floors, short functions.

pipeline/'s rooms stand on each other in one order (README, "Where to look"): an import may go down a
floor, never up, except for type hints under ``if TYPE_CHECKING:``. parsers/ is pure and outbox/ knows
nothing of parsers/.
"""
from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FLOORS = ["ledger", "campaign", "judge", "reporting", "outbound", "intake", "admin", "runtime"]
ROOT_MODULES = {"__init__", "config", "locks", "failures"}  # the ground every room stands on
LONGEST = 60


def _modules(package: str):
    for path in sorted((ROOT / package).rglob("*.py")):
        parts = path.relative_to(ROOT).with_suffix("").parts
        yield path, ".".join(parts[:-1] if parts[-1] == "__init__" else parts), parts[-1] == "__init__"


def _runtime_imports(path: Path, module: str, is_package: bool) -> list[str]:
    """Absolute names of what ``path`` imports when it runs (not what it imports for the type checker)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    typing_only = {id(node) for branch in ast.walk(tree) if isinstance(branch, ast.If)
                   and "TYPE_CHECKING" in ast.unparse(branch.test) for node in ast.walk(branch)}
    package = module if is_package else module.rpartition(".")[0]
    out = []
    for node in ast.walk(tree):
        if id(node) in typing_only:
            continue
        if isinstance(node, ast.Import):
            out += [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                up = package.split(".")[:len(package.split(".")) - (node.level - 1)]
                base = ".".join(up + ([base] if base else []))
            out.append(base)
    return out


def _floor(module: str) -> int:
    room = module.split(".")[1] if module.count(".") >= 1 else ""
    return FLOORS.index(room) + 1 if room in FLOORS else 0


def test_parsers_and_outbox_keep_to_themselves():
    for package, forbidden in (("parsers", ("pipeline", "outbox")), ("outbox", ("pipeline", "parsers"))):
        for path, module, is_package in _modules(package):
            for name in _runtime_imports(path, module, is_package):
                assert name.split(".")[0] not in forbidden, f"{module} imports {name}"


def test_pipeline_rooms_import_only_downward():
    upward = [f"{module} -> {name}" for path, module, is_package in _modules("pipeline")
              for name in _runtime_imports(path, module, is_package)
              if name.startswith("pipeline.") and _floor(name) > _floor(module)]
    assert not upward, upward


def test_pipeline_root_holds_only_the_ground():
    loose = {p.stem for p in (ROOT / "pipeline").glob("*.py")} - ROOT_MODULES
    rooms = {p.name for p in (ROOT / "pipeline").iterdir() if p.is_dir() and p.name != "__pycache__"}
    assert not loose, f"modules at pipeline/'s root: {sorted(loose)}"
    assert rooms == set(FLOORS), sorted(rooms)


def test_no_function_is_longer_than_a_screen():
    long = []
    for path in [*ROOT.glob("pipeline/**/*.py"), *ROOT.glob("parsers/**/*.py"), *ROOT.glob("outbox/**/*.py"),
                 ROOT / "run.py"]:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                lines = (node.end_lineno or node.lineno) - node.lineno + 1
                if lines > LONGEST:
                    long.append(f"{path.relative_to(ROOT)}:{node.lineno} {node.name} ({lines} lines)")
    assert not long, long


def test_every_path_the_readme_names_exists():
    """A newcomer follows the README's paths: each `folder/…` it names is in the repository."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    named = set(re.findall(r"`((?:pipeline|parsers|outbox|tests|bench|deploy|docs|samples)/[\w./-]*)`", text))
    missing = sorted(p for p in named if not (ROOT / p).exists())
    assert named and not missing, missing
