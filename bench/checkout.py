"""Another revision of this repository, checked out beside it for a side-by-side benchmark."""

from __future__ import annotations

import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from bench.common import ROOT


class GitError(RuntimeError):
    """A git command failed (an unknown revision, no git checkout): git's own message."""


def git(*args: str, cwd: Path = ROOT) -> str:
    """Run git in `cwd`; its stdout, stripped. Raises GitError with git's message."""
    done = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True)
    if done.returncode != 0:
        raise GitError(f"git {' '.join(args)}: {done.stderr.strip()}")
    return done.stdout.strip()


def describe_head() -> str:
    """This checkout's commit, with `+changes` when files differ from it."""
    commit = git("rev-parse", "--short=10", "HEAD")
    return f"{commit}+changes" if git("status", "--porcelain", "--untracked-files=no") else commit


@contextmanager
def checked_out(rev: str) -> Iterator[tuple[Path, str]]:
    """A detached `git worktree` of `rev` in a temporary directory: (its root, the commit).

    The worktree is removed afterwards; it shares this checkout's object store, so making it
    costs a checkout, not a clone.
    """
    commit = git("rev-parse", "--verify", f"{rev}^{{commit}}")
    with tempfile.TemporaryDirectory(prefix="bench-against-") as tmp:
        root = Path(tmp) / "checkout"
        git("worktree", "add", "--detach", "--quiet", str(root), commit)
        try:
            yield root, commit
        finally:
            git("worktree", "remove", "--force", str(root))
