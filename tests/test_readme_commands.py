"""The README's commands, copied as written, work on a fresh clone (the virtualenv lent, not reinstalled)."""

import os
import re
import shutil
import subprocess

from servers import ROOT

README = (ROOT / "README.md").read_text()


def fresh_clone(tmp_path):
    """The tracked files as a clone has them, with this checkout's .venv standing in for `make install`'s."""
    clone = tmp_path / "hearth"
    files = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True).stdout.split()
    for name in files:
        if (ROOT / name).is_file():
            (clone / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, clone / name)
    (clone / ".venv").symlink_to(ROOT / ".venv")
    return clone


def run(command, clone, stdin=None):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HEARTH_", "DATABASE_URL", "REDIS_URL"))}
    # `-o` keeps make from reinstalling into the lent virtualenv
    command = command.replace("make ", "make -o .venv/.installed ", 1) if command.startswith("make ") else command
    return subprocess.run(
        command, shell=True, cwd=clone, env=env, input=stdin, capture_output=True, text=True, timeout=120
    )


def test_the_readme_commands_for_trying_hearth_work_as_written(tmp_path):
    clone = fresh_clone(tmp_path)
    seed = re.search(r"^make seed-demo", README, re.M)
    assert seed, "the README no longer shows `make seed-demo`"
    result = run("make seed-demo", clone)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "log in as ada or grace" in result.stdout
    assert (clone / "instance").is_dir()  # the database `make run` serves

    create_user = re.search(r"`(HEARTH_ENV=development \.venv/bin/flask --app app create-user) NAME`", README)
    result = run(f"{create_user.group(1)} lin", clone, stdin="a long enough password\n" * 2)
    assert result.returncode == 0, result.stdout + result.stderr

    prune = re.search(r"`(HEARTH_ENV=development \.venv/bin/flask --app app prune)`", README)
    result = run(prune.group(1), clone)
    assert result.returncode == 0, result.stdout + result.stderr
