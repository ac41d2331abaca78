"""The layer modules, one family per file."""
