"""How long rendering a message's Markdown takes: a typical message and bodies of 4,000 characters built to be slow.

    .venv/bin/python bench/markdown.py

Each figure is the CPU time of the best of 20 renders (markdown-it-py, then nh3), so that a busy machine
measures the renderer rather than its neighbours.
"""

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from hearth.workspaces.formatting import render

TYPICAL = (
    "Morning @ada! The **deploy** went out at 09:10, see https://example.com/runs/4512 and the notes:\n\n"
    "- migrations ran in `12 s`\n- no ~~errors~~ warnings\n\n> ping me if the queue grows\n"
)
BODIES = {
    "typical message": TYPICAL,
    "unclosed brackets": "[" * 3999 + "]",
    "brackets and text": "a[" * 1999 + "]",
    "image openers": "![[" * 1333 + "]",
    "emphasis runs": "**_" * 1333 + "*",
    "link starts": "[a](" * 1000,
    "backticks": "`a" * 2000,
    "nested quotes": ">" * 4000,
    "mentions": "@ada " * 800,
}


def best_of(body, runs=20):
    spent = []
    for _ in range(runs):
        started = time.thread_time()
        render(body[:4000], {"ada": 1})
        spent.append(time.thread_time() - started)
    return min(spent)


def main():
    render("warm up")
    for name, body in BODIES.items():
        print(f"{name:20} {len(body[:4000]):5} chars  {best_of(body) * 1000:6.2f} ms")


if __name__ == "__main__":
    main()
