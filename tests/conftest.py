"""Root conftest.

Tests run with pytest's importlib import mode, so test files in different folders may share a
basename (tests/emulator/test_issues.py and tests/contract/test_issues.py). Harness modules that
sit beside their tests (api_harness.py, contract_harness.py, …) are imported by bare name, so
every test folder goes on sys.path; their basenames must stay unique across the tree.
"""

from __future__ import annotations

import sys
from pathlib import Path

_TESTS = Path(__file__).parent
for _folder in sorted({p.parent for p in _TESTS.rglob("*.py")} | {_TESTS}):
    if "__pycache__" not in _folder.parts and str(_folder) not in sys.path:
        sys.path.insert(0, str(_folder))
