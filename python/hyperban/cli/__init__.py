"""Command-line tools (``python -m hyperban COMMAND``)."""
