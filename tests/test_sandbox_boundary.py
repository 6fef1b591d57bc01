"""The product never depends on the development LMS: no module of the skarp distribution imports sandbox_lms.

sandbox_lms is its own distribution (sandbox_lms/pyproject.toml), installed only for development; an import
of it from lti_app (or courseware, scorm_builder) would work in a checkout and break every installed
wheel. The scan reads the source with `ast`, so an import inside a function or behind `if TYPE_CHECKING`
counts too, as does importlib.import_module("sandbox_lms...").
"""

from __future__ import annotations

import ast
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PRODUCT = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
SANDBOX = tomllib.loads((ROOT / "sandbox_lms" / "pyproject.toml").read_text())["tool"]["setuptools"]
FORBIDDEN = "sandbox_lms"


def _is_forbidden(module: str) -> bool:
    return module == FORBIDDEN or module.startswith(FORBIDDEN + ".")


def forbidden_imports(source: str, filename: str = "<source>") -> list[str]:
    """`file:line: module` for every import of sandbox_lms in `source`."""
    found = []
    for node in ast.walk(ast.parse(source, filename)):
        modules: list[str] = []
        if isinstance(node, ast.Import):
            modules = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            modules = [node.module]
        elif isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant):
            called = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
            if called in {"import_module", "__import__"} and isinstance(node.args[0].value, str):
                modules = [node.args[0].value]
        found += [f"{filename}:{node.lineno}: {module}" for module in modules if _is_forbidden(module)]
    return found


def product_sources() -> list[Path]:
    """Every Python file of the packages the skarp wheel ships (content and templates hold none)."""
    folders = {name.split(".")[0] for name in PRODUCT["packages"]} - set(PRODUCT["package-dir"])
    return sorted(path for folder in folders for path in (ROOT / folder).rglob("*.py"))


def test_no_product_module_imports_the_sandbox_lms():
    sources = product_sources()
    assert any(path.parts[-2:] == ("lti_app", "__init__.py") for path in sources)
    found = [
        hit for path in sources for hit in forbidden_imports(path.read_text(), str(path.relative_to(ROOT)))
    ]
    assert not found, "the product must not import the development LMS:\n" + "\n".join(found)


def test_the_scan_sees_every_form_of_import():
    source = (
        "import sandbox_lms\n"
        "from sandbox_lms.store import get_tool\n"
        "def f():\n    import sandbox_lms.claims as c\n"
        "importlib.import_module('sandbox_lms.demo')\n"
        "from . import sandbox\nimport sandbox_lmsx\n"
    )
    assert forbidden_imports(source) == [
        "<source>:1: sandbox_lms",
        "<source>:2: sandbox_lms.store",
        "<source>:4: sandbox_lms.claims",
        "<source>:5: sandbox_lms.demo",
    ]


def test_the_sandbox_is_not_a_package_of_the_product_but_of_its_own_distribution():
    assert not any(_is_forbidden(name) or name.startswith("lti_app.sandbox") for name in PRODUCT["packages"])
    assert SANDBOX["packages"] == [FORBIDDEN] and SANDBOX["package-dir"] == {FORBIDDEN: "."}
    assert not (ROOT / "lti_app" / "sandbox").exists() and not (ROOT / "lti_app" / "demo.py").exists()
    subpackages = [init.parent for init in (ROOT / FORBIDDEN).glob("*/**/__init__.py")]
    assert not subpackages, f"add them to sandbox_lms/pyproject.toml's packages: {subpackages}"
