"""Forms for threads and posts. Field checks repeat the services' so errors show on the field;
the services stay the authority (they validate again)."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError

from .models import BODY_MAX, TITLE_MAX, ReactionKind, ThreadKind, ThreadVisibility
from .services import clean_body, clean_title

BODY_HELP = (
    "You can use Markdown: **bold**, *italic*, > quote, - list, [link text](https://…). "
    f"Up to {BODY_MAX:,} characters."
)


def _textarea(rows: int = 10) -> forms.Textarea:
    return forms.Textarea(attrs={"class": "nhsuk-textarea", "rows": rows})


def _field_error(exc: ValidationError, name: str) -> ValidationError:
    return ValidationError(exc.message_dict.get(name, exc.messages))


class _CleansPostText:
    """The same title and body rules (threads.services) for every form that takes them."""

    cleaned_data: dict

    def clean_title(self) -> str:
        try:
            return clean_title(self.cleaned_data.get("title"))
        except ValidationError as exc:
            raise _field_error(exc, "title") from exc

    def clean_body(self) -> str:
        try:
            return clean_body(self.cleaned_data.get("body"))
        except ValidationError as exc:
            raise _field_error(exc, "body") from exc


class ThreadForm(_CleansPostText, forms.Form):
    title = forms.CharField(
        label="Title",
        # One over the limit so the service's message (with the count) is what people see.
        max_length=TITLE_MAX * 2,
        strip=False,
        required=False,
        widget=forms.TextInput(attrs={"class": "nhsuk-input", "autocomplete": "off"}),
    )
    kind = forms.ChoiceField(
        label="What kind of thread is this?",
        choices=ThreadKind.choices,
        initial=ThreadKind.DISCUSSION,
        widget=forms.RadioSelect,
    )
    body = forms.CharField(
        label="Your post", help_text=BODY_HELP, required=False, strip=False, widget=_textarea(12)
    )
    visibility = forms.ChoiceField(
        label="Who can see this thread?",
        choices=ThreadVisibility.choices,
        initial=ThreadVisibility.SPACE,
        widget=forms.RadioSelect,
    )
    content_note = forms.CharField(
        label="Content note (optional)",
        help_text="A short warning, for example “describes racist abuse”. "
        "Readers will see it first and choose whether to open your post and each reply.",
        max_length=120,
        required=False,
        widget=forms.TextInput(attrs={"class": "nhsuk-input"}),
    )
    anonymous = forms.BooleanField(
        label="Post anonymously",
        help_text="Other members will see “A member of this space”. "
        "The space's moderators and staff can still see that it was you.",
        required=False,
    )


class ReplyForm(_CleansPostText, forms.Form):
    body = forms.CharField(
        label="Your reply", help_text=BODY_HELP, required=False, strip=False, widget=_textarea(8)
    )
    quote = forms.IntegerField(required=False, widget=forms.HiddenInput)
    anonymous = forms.BooleanField(
        label="Reply anonymously",
        help_text="Other members will see “A member of this space”. "
        "Moderators and staff can still see that it was you.",
        required=False,
    )


class EditPostForm(_CleansPostText, forms.Form):
    title = forms.CharField(
        label="Title",
        max_length=TITLE_MAX * 2,
        required=False,
        strip=False,
        widget=forms.TextInput(attrs={"class": "nhsuk-input"}),
    )
    body = forms.CharField(
        label="Your post", help_text=BODY_HELP, required=False, strip=False, widget=_textarea(12)
    )
    reason = forms.CharField(
        label="Reason for the edit",
        help_text="Moderators: the author is told this reason.",
        max_length=500,
        required=False,
        widget=forms.TextInput(attrs={"class": "nhsuk-input"}),
    )

    def __init__(self, *args, with_title: bool, with_reason: bool, **kwargs):
        super().__init__(*args, **kwargs)
        self.with_title = with_title
        if not with_title:
            del self.fields["title"]
        if not with_reason:
            del self.fields["reason"]


class DeletePostForm(forms.Form):
    """A moderator deleting someone else's post says why (the author is told)."""

    reason = forms.CharField(
        label="Reason for deleting",
        help_text="The author is told this reason.",
        max_length=500,
        required=False,
        widget=forms.TextInput(attrs={"class": "nhsuk-input"}),
    )

    def __init__(self, *args, with_reason: bool, **kwargs):
        super().__init__(*args, **kwargs)
        if not with_reason:
            del self.fields["reason"]


class ReactionForm(forms.Form):
    kind = forms.ChoiceField(choices=ReactionKind.choices)


class SearchForm(forms.Form):
    q = forms.CharField(
        label="Search for",
        max_length=200,
        required=False,
        widget=forms.TextInput(attrs={"class": "nhsuk-input", "type": "search"}),
    )
    space = forms.ChoiceField(label="In", required=False)

    def __init__(self, *args, spaces, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["space"].choices = [("", "All your spaces")] + [
            (space.slug, space.name) for space in spaces
        ]
        self.fields["space"].widget.attrs["class"] = "nhsuk-select"
