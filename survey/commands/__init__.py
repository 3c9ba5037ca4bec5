"""The `survey` command line: one module per command group, the group itself in main.py.

Every command runs in the app context that context.py gives it; bad input raises
survey.errors.InputError, which the group prints as one line with exit status 1.
"""
