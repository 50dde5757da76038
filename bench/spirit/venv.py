"""The Spirit reference forum's own venv (bench only): created on first use, never the forum's.

``python -m bench.spirit.venv [PATH]`` creates it (default ``$SPIRIT_VENV``, else
``bench/spirit/.venv``, git-ignored) with ``python -m venv`` and ``pip install -r
bench/spirit/requirements.txt``; an existing venv that already imports ``spirit`` is kept.
``bench/run.py --spirit`` calls :func:`ensure`.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
REQUIREMENTS = HERE / "requirements.txt"


def default_path() -> Path:
    return Path(os.environ.get("SPIRIT_VENV") or HERE / ".venv")


def ensure(path: Path | None = None) -> Path:
    """The venv's directory, created and installed first if it has no Spirit."""
    path = Path(path or default_path())
    python = path / "bin" / "python"
    if python.exists():
        check = subprocess.run(
            [str(python), "-c", "import spirit, daphne, psycopg_pool"], capture_output=True
        )
        if check.returncode == 0:
            return path
    print(f"bench: creating the Spirit venv in {path}", file=sys.stderr)
    subprocess.run([sys.executable, "-m", "venv", str(path)], check=True)
    subprocess.run([str(python), "-m", "pip", "install", "-q", "-r", str(REQUIREMENTS)], check=True)
    return path


if __name__ == "__main__":
    print(ensure(Path(sys.argv[1]) if len(sys.argv) > 1 else None))
