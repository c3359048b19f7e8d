"""The folders show the data's one-way path: streams -> vision -> models -> api.
No package imports one downstream of it, and vision does no I/O."""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
STAGES = ["streams", "vision", "models", "api"]
# What each package may import of ours. urbanwatch.config is the configuration model, a leaf; the
# rest of `urbanwatch` (cli, runtime) is the composition root that wires the stages and is imported
# by none of them ("urbanwatch" alone is the package's __init__: its version, nothing else).
ALLOWED = {
    "streams": set(),
    "vision": set(),
    "models": set(),
    "api": {"streams", "vision", "models", "urbanwatch.config", "urbanwatch"},
    "urbanwatch/config": set(),
}
IO_MODULES = {"av", "socket", "sqlalchemy", "fastapi", "httpx", "requests", "redis", "subprocess", "urllib"}


def imports_of(package: str):
    for path in (ROOT / package).rglob("*.py"):
        tree = ast.parse(path.read_text(), str(path))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                for a in node.names:
                    yield path, a.name
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                yield path, node.module


def ours(module: str) -> str | None:
    top = module.split(".")[0]
    if top == "urbanwatch":
        if module == "urbanwatch":
            return "urbanwatch"  # the package itself: its version
        return "urbanwatch.config" if module.startswith("urbanwatch.config") else "urbanwatch.runtime"
    return top if top in STAGES else None


@pytest.mark.parametrize("package", list(ALLOWED))
def test_no_backward_imports(package):
    own = package.split("/")[0]
    bad = []
    for path, module in imports_of(package):
        target = ours(module)
        if target is None or target == own or (package == "urbanwatch/config" and target == "urbanwatch.config"):
            continue
        if target not in ALLOWED[package]:
            bad.append(f"{path.relative_to(ROOT)} imports {module}")
    assert bad == []


def test_vision_does_no_io():
    bad = [f"{p.relative_to(ROOT)} imports {m}" for p, m in imports_of("vision") if m.split(".")[0] in IO_MODULES]
    assert bad == []


def test_the_package_root_is_only_a_version():
    """api reads `urbanwatch.__version__`: that import must not pull the runtime (or anything) in."""
    tree = ast.parse((ROOT / "urbanwatch/__init__.py").read_text())
    assert not [n for n in ast.walk(tree) if isinstance(n, (ast.Import, ast.ImportFrom))]
