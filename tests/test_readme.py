"""The README's example prints what the README says it prints."""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

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


def _tour():
    section = README.read_text().split("## A five-minute tour", 1)[1]
    code, output = re.findall(r"```(?:python)?\n(.*?)```", section, flags=re.S)[:2]
    return code, output.strip().splitlines()


def _run(code, tmp_path):
    env = {**os.environ, "GAMEDYN_CACHE": str(tmp_path / "cache"), "MPLBACKEND": "Agg", "OMP_NUM_THREADS": "1"}
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=1800,
                          cwd=tmp_path, env=env)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout.strip().splitlines()


def test_tour_prints_what_the_readme_says_up_to_the_bridge(tmp_path):
    code, output = _tour()
    toy = code.split("# Bridge:", 1)[0]
    assert _run(toy, tmp_path) == output[:-1]


@pytest.mark.slow
def test_whole_tour_including_the_bridge_training(tmp_path):
    code, output = _tour()
    assert _run(code, tmp_path) == output


def test_gallery_shows_every_committed_figure_with_its_study():
    text = README.read_text()
    shown = re.findall(r"!\[[^\]]*\]\(figures/([^)]+)\.png\)", text)
    committed = sorted(p.stem for p in (README.parent / "figures").glob("*.png"))
    assert sorted(shown) == committed
    for name in shown:
        assert f"`studies/fig_{name}.py`" in text
        assert (README.parent / "studies" / f"fig_{name}.py").exists()


def test_property_test_example_passes_under_pytest(tmp_path):
    section = README.read_text().split("## Property-test your own optimizer", 1)[1]
    code = re.search(r"```python\n(.*?)```", section, flags=re.S).group(1)
    (tmp_path / "test_my_optimizer.py").write_text(code)
    proc = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:randomly",
                           "test_my_optimizer.py"], capture_output=True, text=True, timeout=600, cwd=tmp_path)
    assert proc.returncode == 0, proc.stdout[-4000:]
    assert "2 passed" in proc.stdout


def test_every_command_line_example_parses():
    """Each line of the README's "Command line" block is accepted by the parser as written
    (optional parts in square brackets left out): a renamed flag cannot leave the README stale."""
    import shlex

    from gamedyn.cli import build_parser

    section = README.read_text().split("## Command line", 1)[1]
    block = re.search(r"```bash\n(.*?)```", section, flags=re.S).group(1)
    lines = [re.sub(r"\[[^\]]*\]", "", line.split(" #", 1)[0]) for line in block.splitlines()]
    examples = [shlex.split(line)[1:] for line in lines if line.startswith("gamedyn ")]
    commands = {argv[0] for argv in examples}
    assert {"spectrum", "phase", "check", "figures", "train", "run-spectrum", "sweep", "bridge-check"} <= commands
    for argv in examples:
        build_parser().parse_args(argv)  # argparse exits (code 2) on anything it does not accept
