"""pyproject.toml declares what the code imports, and nothing it does not use; requirements.lock
(what `make` and CI install) pins every declared package at the version pyproject.toml names."""

from __future__ import annotations

import ast
import sys
import tomllib
from importlib.metadata import PackageNotFoundError, packages_distributions, requires

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from tests.conftest import PROJECT_ROOT

# every package of pyproject's [tool.setuptools.packages.find], and the code beside them
CODE_FOLDERS = ("ingestion", "scoring", "reporting", "orchestration", "publishing", "quality", "engines",
                "benchmarks", "tests", "dbt_project")
# Declared packages that no Python file imports, and what uses them instead.
USED_WITHOUT_IMPORT = {
    "dagster-webserver": "the UI that `dagster dev` serves (make dev)",
    "dbt-duckdb": "the dbt adapter of the duckdb target in dbt_project/profiles.yml",
    "dbt-spark": "the dbt adapter of the spark target in dbt_project/profiles.yml",
    "ruff": "the linter of `make lint`",
    "tabulate": "pandas' DataFrame.to_markdown, for the asset previews",
}


def _declared() -> dict[str, Requirement]:
    project = tomllib.loads((PROJECT_ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    lines = list(project["dependencies"])
    for extra in project["optional-dependencies"].values():
        lines.extend(extra)
    requirements = [Requirement(line) for line in lines]
    return {canonicalize_name(r.name): r for r in requirements}


def _locked() -> dict[str, str]:
    pins: dict[str, str] = {}
    for line in (PROJECT_ROOT / "requirements.lock").read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        name, sep, version = line.partition("==")
        assert sep, f"requirements.lock: {line!r} is not pinned with =="
        assert canonicalize_name(name) not in pins, f"requirements.lock names {name} twice"
        pins[canonicalize_name(name)] = version
    return pins


def _imported_modules() -> dict[str, set[str]]:
    """Top-level third-party modules imported anywhere in the project, with the files importing them."""
    local = {p.name for p in PROJECT_ROOT.iterdir() if p.is_dir() and (p / "__init__.py").exists()}
    local |= {p.stem for folder in CODE_FOLDERS for p in (PROJECT_ROOT / folder).glob("*.py")}
    found: dict[str, set[str]] = {}
    for folder in CODE_FOLDERS:
        for path in (PROJECT_ROOT / folder).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.Import):
                    names = [alias.name for alias in node.names]
                elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                    names = [node.module]
                else:
                    continue
                for name in names:
                    top = name.partition(".")[0]
                    if top not in sys.stdlib_module_names and top not in local and top != "__future__":
                        found.setdefault(top, set()).add(str(path.relative_to(PROJECT_ROOT)))
    return found


def test_every_declared_package_is_pinned_in_the_lock_at_the_same_version():
    locked = _locked()
    for name, requirement in _declared().items():
        specifiers = list(requirement.specifier)
        assert len(specifiers) == 1 and specifiers[0].operator == "==", f"{requirement} is not an exact pin"
        assert locked.get(name) == specifiers[0].version, (
            f"pyproject.toml pins {requirement}, requirements.lock has {locked.get(name)}")


def test_the_lock_holds_everything_the_declared_packages_need_and_nothing_else():
    """The closure of the declared packages' requirements (as installed, markers evaluated here)
    is exactly the lock: pip would otherwise pick an unpinned version, or install an unused one."""
    declared = _declared()
    needed: set[str] = set()
    pending = [(name, frozenset(r.extras)) for name, r in declared.items()]
    seen: set[tuple[str, frozenset[str]]] = set()
    while pending:
        name, extras = pending.pop()
        if (name, extras) in seen:
            continue
        seen.add((name, extras))
        needed.add(name)
        try:
            lines = requires(name) or []
        except PackageNotFoundError:
            continue  # reported below as missing from this environment, if it is not in the lock
        for line in lines:
            requirement = Requirement(line)
            if requirement.marker is None or any(
                    requirement.marker.evaluate({"extra": extra}) for extra in ("", *extras)):
                pending.append((canonicalize_name(requirement.name), frozenset(requirement.extras)))
    locked = set(_locked())
    assert not needed - locked, f"needed but not pinned in requirements.lock: {sorted(needed - locked)}"
    assert not locked - needed, f"pinned in requirements.lock but needed by nothing: {sorted(locked - needed)}"


def test_every_imported_package_is_declared():
    declared = _declared()
    distributions = packages_distributions()
    missing = {}
    for module, files in _imported_modules().items():
        providers = {canonicalize_name(d) for d in distributions.get(module, [])}
        if not providers & declared.keys():
            missing[module] = (sorted(providers) or "not installed", sorted(files)[:3])
    assert not missing, f"imported but not declared in pyproject.toml: {missing}"


def test_every_declared_package_is_used():
    distributions = packages_distributions()
    imported = {canonicalize_name(d) for module in _imported_modules() for d in distributions.get(module, [])}
    unused = sorted(set(_declared()) - imported - set(USED_WITHOUT_IMPORT))
    assert not unused, f"declared in pyproject.toml but never imported: {unused}"


def test_the_code_folders_hold_every_installed_package():
    pyproject = tomllib.loads((PROJECT_ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    packages = {p.rstrip("*") for p in pyproject["tool"]["setuptools"]["packages"]["find"]["include"]}
    assert packages <= set(CODE_FOLDERS)
