"""The one exception type sslcore raises for bad input; its message is a single line for the user."""


class SSLCoreError(ValueError):
    """Bad input to sslcore (empty or unreadable data, wrong or corrupt checkpoint, mismatched teacher)."""
