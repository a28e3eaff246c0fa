"""The README's set-up commands and .ci/run must not drift apart."""

import pathlib
import re
import subprocess
import sys

import jaxaug

ROOT = pathlib.Path(__file__).resolve().parents[1]


def readme_commands():
    text = (ROOT / "README.md").read_text()
    block = re.search(r"```bash\n(.*?)```", text, re.S)
    assert block, "README.md must start with a bash block holding the two set-up commands"
    lines = [ln for ln in block.group(1).splitlines() if ln.strip() and not ln.startswith("#")]
    assert len(lines) == 2, lines
    return lines


def test_ci_runs_the_readme_test_command():
    _, test_cmd = readme_commands()
    assert "pytest" in test_cmd
    assert test_cmd in (ROOT / ".ci" / "run").read_text()


def test_readme_main_command_runs_the_main_job():
    main_cmd, _ = readme_commands()
    assert "pip install" in main_cmd and "examples/cifar_flax.py" in main_cmd and "--data" in main_cmd


def test_public_names_are_exported():
    for name in jaxaug.__all__:
        assert getattr(jaxaug, name) is not None


def test_readme_tour_runs():
    text = (ROOT / "README.md").read_text()
    blocks = re.findall(r"```python\n(.*?)```", text, re.S)
    assert blocks
    for block in blocks:
        exec(compile(block, "README.md", "exec"), {})


def test_relative_links_in_the_docs_resolve():
    pages = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md")), ROOT / "examples" / "cifar10" / "README.md"]
    for page in pages:
        for target in re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", page.read_text()):
            if not target.startswith(("http://", "https://")):
                assert (page.parent / target).exists(), f"{page.relative_to(ROOT)} links to missing {target}"


def test_the_missions_entry_point_is_the_example_program():
    # examples/cifar_flax.py runs examples/cifar10/train.py: the same flags, the same help.
    def help_of(script):
        out = subprocess.run([sys.executable, str(ROOT / "examples" / script), "--help"], capture_output=True,
                             text=True, check=True, timeout=120)
        return out.stdout.replace("cifar_flax.py", "PROG").replace("train.py", "PROG")

    entry = help_of("cifar_flax.py")  # one start-up of each program (jax, flax: seconds each), not three
    assert entry == help_of("cifar10/train.py")
    assert "--recipe" in entry


def test_the_fast_subsets_list_names_existing_tests():
    # tests/conftest.py marks tests slow by name: a renamed test would silently join the fast subset.
    import conftest

    for name in sorted(conftest.SLOW_TESTS | conftest.SLOW_CASES):
        path, test = name.split("::")
        assert re.search(rf"^def {test}\(", (ROOT / path).read_text(), re.M), f"conftest names {name}: no such test"
