"""Helpers of the edge-case tests (issue 13): run the CLI in-process, check exit code, message, and what is on disk."""

import pytest

from policyscape.cli import main


def run_cli(argv, capsys):
    try:
        code = main([str(a) for a in argv])
    except SystemExit as e:  # argument parsing errors exit directly
        code = e.code
    out = capsys.readouterr()
    return code, out.out, out.err


@pytest.fixture
def cli(capsys):
    return lambda *argv: run_cli(argv, capsys)
