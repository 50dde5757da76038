"""Forms for flags, moderation actions and watched words. Services do the real validation."""

from __future__ import annotations

from datetime import timedelta

from django import forms
from django.utils import timezone

from .models import FlagReason, WatchedWord

DURATIONS = [
    ("", "Choose a date and time below"),
    ("1", "1 hour"),
    ("24", "1 day"),
    ("72", "3 days"),
    ("168", "1 week"),
    ("720", "30 days"),
]


class FlagForm(forms.Form):
    reason = forms.ChoiceField(
        label="Which guideline does this break?",
        choices=FlagReason.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose the reason that fits best."},
    )
    details = forms.CharField(
        label="Anything the moderators should know (optional)",
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 4, "class": "nhsuk-textarea"}),
        help_text="Only the moderators see this. The member you report is never told who "
        "reported them.",
    )
    email_outcome = forms.BooleanField(
        label="Email me the outcome as well",
        required=False,
        help_text="You are always told in the forum when a moderator has decided.",
    )


class ReasonForm(forms.Form):
    reason = forms.CharField(
        label="Reason",
        max_length=500,
        required=True,
        widget=forms.Textarea(attrs={"rows": 3, "class": "nhsuk-textarea"}),
        help_text="The member is told this reason. It is kept in the audit log.",
        error_messages={"required": "Give a reason: the member is told why."},
    )


class OptionalReasonForm(forms.Form):
    reason = forms.CharField(
        label="Note for the audit log (optional)",
        max_length=500,
        required=False,
        widget=forms.TextInput(attrs={"class": "nhsuk-input"}),
    )


class AnswerForm(forms.Form):
    """Closing reports without action: the members who reported it are told this reason."""

    reason = forms.CharField(
        label="Why it stays up (optional)",
        max_length=500,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "class": "nhsuk-textarea"}),
        help_text="The members who reported it are told this, without your name. It is kept in "
        "the audit log.",
    )


class UntilForm(ReasonForm):
    """A mute or suspension: a preset length, or an exact end."""

    duration = forms.ChoiceField(
        label="For how long", choices=DURATIONS, required=False, initial="24"
    )
    until = forms.DateTimeField(
        label="Or until (date and time)",
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local", "class": "nhsuk-input"}),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S"],
    )
    field_order = ["duration", "until", "reason"]

    def clean(self):
        cleaned = super().clean()
        hours = cleaned.get("duration")
        if hours:
            cleaned["until"] = timezone.now() + timedelta(hours=int(hours))
        elif not cleaned.get("until") and "until" not in self.errors:
            self.add_error("until", "Choose how long, or when it ends.")
        return cleaned


class EditForm(ReasonForm):
    """A moderator's edit of a member's text: the new text, and why (the author is told)."""

    body = forms.CharField(
        label="Post text",
        widget=forms.Textarea(attrs={"rows": 10, "class": "nhsuk-textarea"}),
        error_messages={"required": "A post cannot be empty. Hide or delete it instead."},
    )
    field_order = ["body", "reason"]


class MoveForm(OptionalReasonForm):
    """Another space the moderator moderates; ``to_space`` comes back as the Space."""

    to_space = forms.ChoiceField(label="Move to")
    field_order = ["to_space", "reason"]

    def __init__(self, *args, spaces=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.spaces = {s.slug: s for s in spaces}
        self.fields["to_space"].choices = [(s.slug, s.name) for s in spaces]

    def clean_to_space(self):
        return self.spaces[self.cleaned_data["to_space"]]


#: The form of each ActionSpec.form name (moderation.registry).
ACTION_FORMS: dict[str, type[forms.Form]] = {
    "reason": ReasonForm,
    "note": OptionalReasonForm,
    "answer": AnswerForm,
    "edit": EditForm,
    "move": MoveForm,
    "until": UntilForm,
}


class WatchedWordForm(forms.Form):
    word = forms.CharField(
        label="Word or phrase",
        max_length=100,
        widget=forms.TextInput(attrs={"class": "nhsuk-input"}),
        help_text="Matched as a whole word, ignoring capitals and accents.",
    )
    action = forms.ChoiceField(label="What happens", choices=WatchedWord.Action.choices)
    space = forms.ChoiceField(label="Where")

    def __init__(self, *args, spaces=(), site_wide=False, **kwargs):
        super().__init__(*args, **kwargs)
        choices = [("", "Every space (site-wide)")] if site_wide else []
        self.fields["space"].choices = choices + [(s.slug, s.name) for s in spaces]
        self.fields["space"].required = not site_wide


class AppealForm(forms.Form):
    statement = forms.CharField(
        label="Why should the decision change?",
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 8, "class": "nhsuk-textarea"}),
        help_text="Another moderator reads this. Up to 2,000 characters. You can appeal each "
        "decision once.",
        error_messages={"required": "Say why the decision should change."},
    )


class AppealDecisionForm(forms.Form):
    decision = forms.ChoiceField(
        label="Your decision",
        choices=[("uphold", "Uphold: keep the decision"), ("overturn", "Overturn: reverse it")],
        widget=forms.RadioSelect,
        error_messages={"required": "Choose whether to uphold or overturn the decision."},
    )
    reason = forms.CharField(
        label="Reason",
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3, "class": "nhsuk-textarea"}),
        help_text="The member is told this reason. It is kept in the audit log.",
        error_messages={"required": "Give a reason: the member is told why."},
    )
