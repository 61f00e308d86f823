"""`ratmas ARGS` run in-process through `ratmas.cli.main`, seen as a process would see
it (exit status, stdout, stderr), in a given working directory and environment: the
same code path as the console script without a Python start per call."""

from __future__ import annotations

import contextlib
import io
import os
import subprocess
from collections.abc import Mapping
from pathlib import Path
from unittest import mock

from ratmas.cli import main


def run_main(*args: str, cwd: Path, env: Mapping[str, str]) -> subprocess.CompletedProcess[str]:
    stdout, stderr = io.StringIO(), io.StringIO()
    before = Path.cwd()
    with mock.patch.dict(os.environ, dict(env), clear=True):
        os.chdir(cwd)
        try:
            with contextlib.redirect_stderr(stderr):
                status = main(list(args), out=stdout)
        finally:
            os.chdir(before)
    return subprocess.CompletedProcess(list(args), status, stdout.getvalue(), stderr.getvalue())
