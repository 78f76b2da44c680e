"""Python modules that sat on an import cycle load on their own, as a script or a shell imports them first."""

import subprocess
import sys

import pytest


@pytest.mark.parametrize("module", ["engine.sla", "engine.services", "engine.notices.send", "engine.runtime"])
def test_the_module_imports_first_in_a_fresh_interpreter(module):
    done = subprocess.run([sys.executable, "-c", f"import {module}"], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
