"""Forms for flags, moderation actions and watched words. Services do the real validation."""

from __future__ import annotations

from datetime import timedelta

from django import forms
from django.utils import timezone

from .models import FlagReason, WatchedWord
from .text import normalize

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


SITE_WIDE = "__all__"
WORD_MAX = 100


class WatchedWordsForm(forms.Form):
    """Several words or phrases, one a line, with one action, in several places at once."""

    words = forms.CharField(
        label="Words or phrases, one a line",
        widget=forms.Textarea(attrs={"rows": 4, "class": "nhsuk-textarea"}),
        help_text="Each is matched as a whole word, ignoring capitals and accents. "
        "Up to 100 characters each.",
        error_messages={"required": "Enter the word or phrase to watch for."},
    )
    action = forms.ChoiceField(label="What happens", choices=WatchedWord.Action.choices)
    spaces = forms.MultipleChoiceField(
        label="Where",
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": "Choose where to watch for it."},
    )

    def __init__(self, *args, spaces=(), site_wide=False, **kwargs):
        super().__init__(*args, **kwargs)
        self.spaces = {s.slug: s for s in spaces}
        choices = [(SITE_WIDE, "Every space (community-wide)")] if site_wide else []
        self.fields["spaces"].choices = choices + [(s.slug, s.name) for s in spaces]

    def clean_words(self) -> list[str]:
        lines = [line.strip() for line in self.cleaned_data["words"].splitlines()]
        words = list(dict.fromkeys(line for line in lines if line))
        if not words:
            raise forms.ValidationError("Enter the word or phrase to watch for.")
        for word in words:
            if len(word) > WORD_MAX:
                raise forms.ValidationError(
                    f"“{word[:30]}…” is longer than {WORD_MAX} characters. Shorten it."
                )
            if not normalize(word):
                raise forms.ValidationError(f"“{word}” has no letters or numbers to match.")
        return words

    def clean_spaces(self) -> list:
        chosen = self.cleaned_data["spaces"]
        if SITE_WIDE in chosen and len(chosen) > 1:
            raise forms.ValidationError(
                "Choose every space or some spaces, not both: a community-wide word applies "
                "in every space already."
            )
        return [None if slug == SITE_WIDE else self.spaces[slug] for slug in chosen]


class WatchedWordEditForm(forms.Form):
    action = forms.ChoiceField(label="What happens", choices=WatchedWord.Action.choices)
    space = forms.ChoiceField(label="Where")

    def __init__(self, *args, spaces=(), site_wide=False, **kwargs):
        super().__init__(*args, **kwargs)
        self.spaces = {s.slug: s for s in spaces}
        choices = [(SITE_WIDE, "Every space (community-wide)")] if site_wide else []
        self.fields["space"].choices = choices + [(s.slug, s.name) for s in spaces]

    def clean_space(self):
        slug = self.cleaned_data["space"]
        return None if slug == SITE_WIDE else self.spaces[slug]


class BulkActionForm(forms.Form):
    """The review queue's bulk action: selected items (or every item on the page), one action
    and one reason."""

    action = forms.ChoiceField(
        label="Action",
        choices=[
            ("approve", "Approve"),
            ("dismiss", "No action needed"),
            ("hide", "Hide"),
        ],
        error_messages={"required": "Choose an action.", "invalid_choice": "Choose an action."},
    )
    reason = forms.CharField(
        label="Reason (each author is told it when their item is hidden)",
        max_length=500,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2, "class": "nhsuk-textarea"}),
        error_messages={"max_length": "Keep the reason under 500 characters."},
    )
    # Item keys (``kind:pk:space``), checked by the selector and the service, not here.
    items = forms.Field(required=False, widget=forms.MultipleHiddenInput)
    page_items = forms.Field(required=False, widget=forms.MultipleHiddenInput)
    scope = forms.ChoiceField(
        choices=[
            ("selected", "The items I ticked"),
            ("page", "Every item on this page"),
            ("matching", "Every item matching these filters, on every page"),
        ],
        required=False,
        error_messages={"invalid_choice": "Choose which items to act on."},
    )

    def clean_scope(self) -> str:
        return self.cleaned_data.get("scope") or "selected"

    def clean_items(self) -> list[str]:
        return [str(v) for v in self.cleaned_data.get("items") or []][:500]

    def clean_page_items(self) -> list[str]:
        return [str(v) for v in self.cleaned_data.get("page_items") or []][:500]


class ModeratorNoteForm(forms.Form):
    body = forms.CharField(
        label="Add a note",
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 4, "class": "nhsuk-textarea"}),
        help_text="Only this space's moderators and staff can read notes. The member never sees them.",
        error_messages={
            "required": "Write the note first.",
            "max_length": "Keep the note under 2,000 characters.",
        },
    )


class SavedReplyForm(forms.Form):
    space = forms.ChoiceField(label="Space")
    title = forms.CharField(
        label="Name",
        max_length=80,
        widget=forms.TextInput(attrs={"class": "nhsuk-input"}),
        help_text="A short name to pick it by, such as “Personal attack”.",
        error_messages={
            "required": "Give the saved reply a name.",
            "max_length": "Keep the name under 80 characters.",
        },
    )
    body = forms.CharField(
        label="Reply",
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3, "class": "nhsuk-textarea"}),
        help_text="Used as the reason when you hide, warn or answer a report.",
        error_messages={
            "required": "Write the reply.",
            "max_length": "Keep the reply under 500 characters.",
        },
    )

    def __init__(self, *args, spaces=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.spaces = {s.slug: s for s in spaces}
        self.fields["space"].choices = [(s.slug, s.name) for s in spaces]

    def clean_space(self):
        return self.spaces[self.cleaned_data["space"]]


class RotaForm(forms.Form):
    until = forms.DateField(
        label="Step out until (the last day you are away)",
        widget=forms.DateInput(attrs={"type": "date", "class": "nhsuk-input"}),
        error_messages={
            "required": "Choose the last day you are away.",
            "invalid": "Enter a date, such as 2027-01-31.",
        },
    )


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
