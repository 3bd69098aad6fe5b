"""The ``consentry`` command."""
