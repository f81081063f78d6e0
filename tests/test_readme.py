"""The README's example prints what the README says it prints."""

import re
import subprocess
import sys
from pathlib import Path

README = Path(__file__).resolve().parents[1] / "README.md"


def test_five_line_example_output_is_real():
    text = README.read_text()
    section = text.split("## Five lines", 1)[1]
    code, output = re.findall(r"```(?:python)?\n(.*?)```", section, flags=re.S)[:2]
    assert len(code.strip().splitlines()) == 5
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == output.strip()


def test_readme_starts_with_the_two_setup_commands_and_ci_runs_the_second():
    block = re.search(r"```bash\n(.*?)```", README.read_text(), flags=re.S).group(1)
    commands = [line for line in block.splitlines() if line and not line.startswith("#")]
    assert len(commands) == 2
    assert commands[0].endswith("gamedyn figures")
    ci = (README.parent / ".ci" / "run").read_text().strip().splitlines()[-1]
    assert ci == commands[1]
