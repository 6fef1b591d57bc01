"""The layers hold: imports point down (entrypoints -> services -> lti -> adapters -> courseware), the
domain imports no framework, only lti_app.lti imports pylti1p3 (the contracts in pyproject.toml).

`make lint` runs the same contracts; this test makes a new upward import fail the suite too, with
import-linter's report (which import, on which line) as the failure message.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_import_contracts_are_kept():
    lint_imports = shutil.which("lint-imports", path=str(Path(sys.executable).parent))
    assert lint_imports, "import-linter is not installed: pip install -e '.[dev]'"
    result = subprocess.run(
        [lint_imports, "--no-cache"], cwd=ROOT, capture_output=True, text=True, timeout=300, check=False
    )
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert " 0 broken" in result.stdout, result.stdout[-4000:]
