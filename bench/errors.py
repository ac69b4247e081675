"""The one exception type for errors a user can cause (bad folder, file, image or config)."""


class BenchError(Exception):
    """A user error: its message names the file or field at fault.

    The CLI prints it on one line and exits with status 2, without a traceback.
    """
