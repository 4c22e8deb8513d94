"""The sandbox stays outside production: production code does not load it, and it does not load
production code (so it can check the clients instead of sharing their logic)."""

import ast
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
SANDBOX = REPO / "sandbox"
PRODUCTION = {"assets", "resources", "pipelines"}


def test_loading_the_definitions_does_not_import_the_sandbox():
    code = ("import pipelines.definitions, sys; "
            "assert not any(m == 'sandbox' or m.startswith('sandbox.') for m in sys.modules), "
            "sorted(m for m in sys.modules if m == 'sandbox' or m.startswith('sandbox.'))")
    result = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]


def test_the_cli_registers_its_commands_without_importing_the_sandbox():
    code = ("import sys; from pipelines.cli import build_parser; build_parser(); "
            "assert not any(m == 'sandbox' or m.startswith('sandbox.') for m in sys.modules)")
    result = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]


def imported_modules(path: Path) -> set[str]:
    """Every module an `import` or `from ... import` in the file names, at any depth of the code."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def test_no_sandbox_module_imports_production_code():
    files = sorted(SANDBOX.rglob("*.py"))
    assert len(files) > 5
    offenders = {str(f.relative_to(REPO)): sorted(m for m in imported_modules(f) if m.split(".")[0] in PRODUCTION)
                 for f in files}
    assert {f: m for f, m in offenders.items() if m} == {}


def test_the_check_sees_nested_and_dotted_imports(tmp_path):
    sample = tmp_path / "sample.py"
    sample.write_text("def f():\n    from assets.normalise import normalise\n    import resources.http\n")
    assert {m.split(".")[0] for m in imported_modules(sample)} == {"assets", "resources"}
