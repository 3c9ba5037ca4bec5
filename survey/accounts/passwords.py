"""The one rule for a staff password, used by the add-user page and `survey users add`.

Long enough, and not one that is guessed early: zxcvbn's maintained lists of the
30,000 commonest passwords, words and names, plus its patterns (keyboard runs,
sequences, dates, repeats), estimate how many guesses a password would take.
"""

from __future__ import annotations

import re

from zxcvbn import zxcvbn

PASSWORD_MIN = 12
PASSWORD_MAX = 1024
# zxcvbn scores 0-4; 0 and 1 fall in under a million guesses ("password1234", "123456789012").
LEAST_SCORE = 2


def password_problem(password: str, email: str = "") -> str | None:
    """What is wrong with this password for a member of staff, or None when it will do."""
    if not PASSWORD_MIN <= len(password) <= PASSWORD_MAX:
        return f"Password must be between {PASSWORD_MIN} and {PASSWORD_MAX} characters"
    hints = [part for part in re.split(r"[@._+-]", email.lower()) if part]
    if zxcvbn(password, user_inputs=[*hints, "survey"])["score"] < LEAST_SCORE:
        return (
            "Password is too easy to guess: it is a common password or a simple pattern. "
            "Try three or four words that do not go together"
        )
    return None
