"""The error for bad input, shared by the web pages and the command line.

Code that reads a file or a value raises InputError with one line naming the file,
row or field; nothing has been written. A page shows the line to the person; the
`survey` command prints it and exits with status 1 (survey/commands/main.py).
"""


class InputError(Exception):
    """Bad input, said in one line; nothing has been written."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message
