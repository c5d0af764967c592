"""The one exception type policyscape raises for bad input.

The CLI turns it into a one-line message on stderr and exit code 2, before
anything is written; library callers can catch it as a ``ValueError``.
"""


class InputError(ValueError):
    """Bad input: the message names the value and says what was expected."""
