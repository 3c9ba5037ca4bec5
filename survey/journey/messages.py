"""Every message a respondent can see about their answers, in one place."""

from __future__ import annotations

from instruments import Question
from instruments.answers import Refused, text_limit


def _short(question: Question) -> str:
    text = question.text.rstrip("?.").strip()
    return text[0].lower() + text[1:] if text else "this question"


REQUIRED = {
    "select": "Select an answer for ‘{}’",
    "tick": "Select at least one answer for ‘{}’",
    "choose": "Choose the area for ‘{}’",
    "enter": "Enter an answer for ‘{}’",
}


def required(question: Question, ask: str = "enter") -> str:
    """Nothing was given for a required question; `ask` is its field's verb (REQUIRED)."""
    return REQUIRED[ask].format(question.text)


def not_an_option(question: Question) -> str:
    """A value that is not among the question's options (a tampered form)."""
    return f"Select one of the answers shown for ‘{question.text}’"


def not_a_number(question: Question) -> str:
    """Not a whole number."""
    return f"Enter a whole number for ‘{question.text}’, like 5"


def out_of_range(question: Question) -> str:
    """A number outside the question's range."""
    low = int(question.min_value) if question.min_value is not None else None
    high = int(question.max_value) if question.max_value is not None else None
    if low is not None and high is not None:
        return f"Enter a number between {low} and {high} for ‘{question.text}’"
    if low is not None:
        return f"Enter a number of {low} or more for ‘{question.text}’"
    return f"Enter a number of {high} or less for ‘{question.text}’"


def too_long(question: Question, limit: int) -> str:
    """Free text over its limit."""
    return f"Answer ‘{question.text}’ in {limit} characters or fewer"


def bad_postcode(question: Question) -> str:
    """Not shaped like a UK postcode."""
    return "Enter a full UK postcode, like LA1 4YW"


def refused(question: Question, why: Refused) -> str:
    """The registry's refusal (instruments/answers.py) in the respondent's words."""
    return {
        "not_an_option": not_an_option,
        "not_an_area": not_an_option,
        "not_a_number": not_a_number,
        "out_of_range": out_of_range,
        "not_a_postcode": bad_postcode,
        "too_long": lambda q: too_long(q, text_limit(q)),
    }[why.code](question)


SESSION_EXPIRED = (
    "For your security, we could not save this page because it was open for a long time "
    "or your browser’s session ended. Your answers are still shown below: check them and "
    "send the page again."
)
EDITED_ELSEWHERE = (
    "Someone else using your group’s link changed these answers while you had this page "
    "open. We have not saved your changes, so nothing of theirs was overwritten. The page "
    "now shows the latest answers: check them and make your changes again."
)
SENT_ELSEWHERE = (
    "Someone else using your group’s link sent your answers while you had this page open. "
    "They have been sent once, as shown below: you do not need to send them again."
)
INCOMPLETE = "There are still questions to answer before you can send your answers."
CLOSED = "This survey closed on {date}. You can still see your result."
SAVED = "Your answers have been saved."


def conditional(earlier: Question, values: tuple[str, ...]) -> str:
    """Hint for a question that only applies for some answers earlier on the same page."""
    labels = [label for v in values if (label := dict(earlier.choices).get(v)) is not None]
    said = " or ".join(f"‘{label}’" for label in labels) or "that"
    return f"Leave this out if you answered {said} to ‘{earlier.text}’."


NOT_OPEN_YET = "This survey opens on {date}. Come back then with the same link."
LINK_SENT = "We have sent the link to {email}."
SUBMITTED_ALREADY = "You have already sent your answers. You can see them below."
NOT_FOUND_SECTION = "That page is not part of this survey."
MAIL_FAILED = (
    "We could not send the email just now. Copy the link above instead, or try again later."
)
CONSENT_SAVED = "Your choices about who can see your answers have been saved."
PRIVATE_LINK_SENT = (
    "We have sent your group’s own link to {email}. Open the email and follow the link."
)
PRIVATE_LINK_NO_EMAIL = (
    "We do not have an email address for your group, so we cannot send its link. "
    "Contact the person who runs this survey in your area (the service’s administrator) "
    "and they will help you get back to your answers."
)
PRIVATE_LINK_TOO_OFTEN = (
    "We have already sent your group’s link to {email} several times in the last hour. "
    "Check that inbox, and its spam or junk folder."
)
PAPER_KEPT = "You kept the answers you sent online. The paper answers will not be used."
PAPER_ACCEPTED = "The paper answers are now your group’s answers. Your result has been updated."
PRIVATE_LINK_MAIL_FAILED = "We could not send the email just now. Try again later."
