"""The journey's forms: one built per section from its questions, plus consent and email."""

from __future__ import annotations

from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import GovTextInput
from wtforms import HiddenField, RadioField, StringField
from wtforms.validators import InputRequired, Length, Regexp

from exports.oruk import directory_consent_hint
from instruments import Question
from instruments.answers import EMAIL

from .fields import Required, field_choices, question_field
from .widgets import RadioInput

CONSENT_QUESTIONS = (
    (
        "consent_broker",
        "May your broker see your group’s answers and results?",
        "Your broker is the organisation that supports your group, for example a council "
        "for voluntary service. With your permission they can see your answers and use "
        "them to offer you help. If you say no, they only see that you have answered.",
    ),
    (
        "consent_area_lead",
        "May your area’s social prescribing lead see your group’s answers and results?",
        "The lead plans social prescribing for your area. Without your permission they "
        "only see totals for the whole area, never your group’s own answers.",
    ),
    (
        "consent_directory",
        "May we list your group in the public directory of local activities?",
        directory_consent_hint(),
    ),
)
YES_NO = field_choices([("yes", "Yes"), ("no", "No")])


def section_form(questions: list[Question], enforce_required: bool, area_choices=()):
    """A form class for one page: a field per shown question, named by the question's id."""

    class SectionForm(FlaskForm):
        version = HiddenField()

    for question in questions:
        validators = [Required(question, enforce_required and question.required)]
        setattr(SectionForm, question.id, question_field(question, validators, area_choices))
    return SectionForm


class ConsentForm(FlaskForm):
    """Who may see the group's named answers, and the directory listing."""

    version = HiddenField()
    consent_broker = RadioField(
        CONSENT_QUESTIONS[0][1],
        choices=YES_NO,
        default="no",
        validators=[InputRequired("Select yes or no")],
        widget=RadioInput(),
        description=CONSENT_QUESTIONS[0][2],
    )
    consent_area_lead = RadioField(
        CONSENT_QUESTIONS[1][1],
        choices=YES_NO,
        default="no",
        validators=[InputRequired("Select yes or no")],
        widget=RadioInput(),
        description=CONSENT_QUESTIONS[1][2],
    )
    consent_directory = RadioField(
        CONSENT_QUESTIONS[2][1],
        choices=YES_NO,
        default="no",
        validators=[InputRequired("Select yes or no")],
        widget=RadioInput(),
        description=CONSENT_QUESTIONS[2][2],
    )


class SubmitForm(FlaskForm):
    """The check-answers page's button: a one-time key makes a resent POST harmless."""

    version = HiddenField()
    submission_key = HiddenField(validators=[InputRequired(), Length(max=64)])


class EmailLinkForm(FlaskForm):
    """Where to send the group's link."""

    email = StringField(
        "Email address",
        validators=[
            InputRequired("Enter an email address"),
            Length(max=254, message="Enter an email address of 254 characters or fewer"),
            Regexp(
                EMAIL,
                message="Enter an email address in the correct format, like name@example.org",
            ),
        ],
        widget=GovTextInput(),
        description="We will only use it to send you this link.",
    )


class ButtonForm(FlaskForm):
    """A form that is only a button (amend, reissue): CSRF and nothing else."""
