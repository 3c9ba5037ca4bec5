"""A test per finding of issue 9, each failing on the code as it was."""
