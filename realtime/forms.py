"""Forms for scheduling live sessions."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError

from community.models import Space, User

from . import ics
from .models import LiveSession


class DateTimeLocalInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%dT%H:%M", **kwargs)


class LiveSessionForm(forms.ModelForm):
    space = forms.ModelChoiceField(queryset=Space.objects.none(), empty_label=None)
    call_url = forms.URLField(
        label="Video call link",
        required=False,
        max_length=500,
        assume_scheme="https",
        widget=forms.URLInput(attrs={"class": "nhsuk-input"}),
        help_text=LiveSession._meta.get_field("call_url").help_text,
    )
    facilitators = forms.ModelMultipleChoiceField(
        queryset=User.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="Leave empty to facilitate it yourself.",
    )

    class Meta:
        model = LiveSession
        fields = [
            "space",
            "title",
            "description",
            "starts_at",
            "ends_at",
            "capacity",
            "chatham_house",
            "retention_days",
            "questions_need_approval",
            "call_url",
            "facilitators",
        ]
        widgets = {
            "starts_at": DateTimeLocalInput(attrs={"class": "nhsuk-input nhsuk-input--width-20"}),
            "ends_at": DateTimeLocalInput(attrs={"class": "nhsuk-input nhsuk-input--width-20"}),
            "title": forms.TextInput(attrs={"class": "nhsuk-input"}),
            "description": forms.Textarea(attrs={"class": "nhsuk-textarea", "rows": 5}),
            "capacity": forms.NumberInput(attrs={"class": "nhsuk-input nhsuk-input--width-5"}),
            "retention_days": forms.NumberInput(
                attrs={"class": "nhsuk-input nhsuk-input--width-5"}
            ),
        }
        help_texts = {"description": "Markdown: what the session is about and how to prepare."}

    def __init__(self, *args, spaces, facilitator_choices, editing: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["space"].queryset = spaces
        self.fields["space"].widget.attrs["class"] = "nhsuk-select"
        self.fields["facilitators"].queryset = facilitator_choices
        if editing:
            del self.fields["space"]

    def clean_title(self) -> str:
        # The title goes into calendar files and email subjects, where a line break starts a
        # new line of the file or header.
        title = ics.single_line(self.cleaned_data["title"])
        if not title:
            raise ValidationError("Enter a title for the session.")
        return title

    def clean_description(self) -> str:
        return ics.multi_line(self.cleaned_data.get("description", ""))

    def clean(self):
        data = super().clean()
        starts, ends = data.get("starts_at"), data.get("ends_at")
        if starts and ends and ends <= starts:
            self.add_error("ends_at", "The end must be after the start.")
        return data


class FeedbackForm(forms.Form):
    safety = forms.TypedChoiceField(
        label="How safe did the session feel?",
        help_text="1 is not at all safe, 5 is completely safe.",
        choices=[(n, str(n)) for n in range(1, 6)],
        coerce=int,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose how safe the session felt, from 1 to 5."},
    )
    helped = forms.CharField(
        label="What helped?",
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"class": "nhsuk-textarea", "rows": 4}),
    )
    change = forms.CharField(
        label="What would you change?",
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"class": "nhsuk-textarea", "rows": 4}),
    )


class SummaryForm(forms.Form):
    """The themes; the quotes are checkboxes of the session's messages (``quote`` values are
    seqs), checked by realtime.summaries."""

    themes = forms.CharField(
        label="Themes",
        help_text="What the session talked about, in your words. You can use Markdown.",
        required=False,
        widget=forms.Textarea(attrs={"class": "nhsuk-textarea", "rows": 8}),
    )
