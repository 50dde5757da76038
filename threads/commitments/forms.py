"""Forms for commitments, updates, proposals, the library filters and case studies. Field
checks are light; the services stay the authority (they validate everything again)."""

from __future__ import annotations

from datetime import date

from django import forms
from django.core.exceptions import ValidationError

from threads.models import TITLE_MAX, ThreadVisibility

from .models import (
    CONTACT_MAX,
    NOTE_MAX,
    PROPOSAL_MAX,
    SECTION_MAX,
    SUMMARY_MAX,
    TEXT_MAX,
    WHY_MAX,
    ActionArea,
    CommitmentStatus,
    CommitmentVisibility,
    WresIndicator,
)
from .selectors import DUE_FILTERS, LIBRARY_SORTS
from .services import COMMITMENT_FIELDS

MARKDOWN_HELP = "You can use Markdown: **bold**, *italic*, - list, [link text](https://…)."


def _textarea(rows: int = 5) -> forms.Textarea:
    return forms.Textarea(attrs={"class": "nhsuk-textarea", "rows": rows})


def _text(label: str, limit: int, *, help_text: str = "", rows: int = 5) -> forms.CharField:
    # Twice the limit, so the service's message (with the count) is what people see, and the
    # text they wrote stays in the form.
    return forms.CharField(
        label=label,
        help_text=help_text,
        max_length=limit * 2,
        required=False,
        strip=False,
        widget=_textarea(rows),
    )


WRES_CHOICES = [("", "None")] + [(str(value), label) for value, label in WresIndicator.choices]


class Radios(forms.RadioSelect):
    """Radios whose field points at its first option, so the error summary's link lands."""

    def id_for_label(self, id_, index="0"):
        return forms.widgets.ChoiceWidget.id_for_label(self, id_, index)


class DateInputWidget(forms.MultiWidget):
    """The NHS.UK date input: day, month and year (rendered by commitments/_date_input.html)."""

    def __init__(self, attrs=None):
        numeric = {"inputmode": "numeric"}
        super().__init__(
            {
                "day": forms.TextInput(numeric),
                "month": forms.TextInput(numeric),
                "year": forms.TextInput(numeric),
            },
            attrs,
        )

    def id_for_label(self, id_):
        return f"{id_}_day" if id_ else ""

    def decompress(self, value):
        if isinstance(value, date):
            return [value.day, value.month, value.year]
        return [None, None, None]


class NhsDateField(forms.MultiValueField):
    widget = DateInputWidget

    def __init__(self, **kwargs):
        fields = (
            forms.CharField(required=False),
            forms.CharField(required=False),
            forms.CharField(required=False),
        )
        super().__init__(fields, require_all_fields=False, required=False, **kwargs)

    def compress(self, data_list):
        if not data_list or not any((part or "").strip() for part in data_list):
            return None
        try:
            day, month, year = (int((part or "").strip()) for part in data_list)
            return date(year, month, day)
        except ValueError:
            raise ValidationError("Enter a real date, for example 15 3 2027.") from None


def date_parts(form: forms.Form, name: str) -> list[str]:
    """Day, month and year as the form shows them (what was typed, or the initial date)."""
    bound = form[name]
    value = bound.value()
    if isinstance(value, date):
        return [str(value.day), str(value.month), str(value.year)]
    if isinstance(value, list | tuple):
        return [str(part or "") for part in value] + [""] * (3 - len(value))
    return ["", "", ""]


class CommitmentForm(forms.Form):
    text = _text(
        "What will you do?",
        TEXT_MAX,
        help_text=f"Something you can do and check. {MARKDOWN_HELP} Up to {TEXT_MAX:,} characters.",
    )
    why = _text("Why? (optional)", WHY_MAX, help_text="What you hope will change.", rows=3)
    due_on = NhsDateField(label="By when?", help_text="For example, 15 3 2027")
    area = forms.ChoiceField(
        label="Which action area is it part of?",
        choices=ActionArea.choices,
        required=False,
        widget=Radios,
        error_messages={"invalid_choice": "Choose the action area this belongs to."},
    )
    wres_indicator = forms.ChoiceField(
        label="WRES indicator (optional)",
        help_text="If it aims to move one of the Workforce Race Equality Standard indicators.",
        choices=WRES_CHOICES,
        required=False,
        error_messages={"invalid_choice": "Choose one of the nine WRES indicators, or none."},
    )
    visibility = forms.ChoiceField(
        label="Who can see it?",
        error_messages={"invalid_choice": "Choose who can see this commitment."},
        choices=CommitmentVisibility.choices,
        initial=CommitmentVisibility.PRIVATE,
        required=False,
        widget=Radios,
    )
    space = forms.ChoiceField(
        label="Space to share it with",
        help_text="Only when members of a space can see it.",
        required=False,
        error_messages={"invalid_choice": "Choose one of the spaces you are a member of."},
    )
    anonymous = forms.BooleanField(
        label="Share it anonymously",
        help_text="Members of the space will see “A member of this space”. "
        "Its moderators and staff can still see that it is yours.",
        required=False,
    )
    reminders = forms.BooleanField(
        label="Email me reminders",
        help_text="A week before the date, on the date, then once a month while it is open.",
        required=False,
        initial=True,
    )
    thread = forms.CharField(required=False, widget=forms.HiddenInput)
    post = forms.CharField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, spaces, **kwargs):
        super().__init__(*args, **kwargs)
        self.spaces = {str(space.pk): space for space in spaces}
        self.fields["space"].choices = [("", "Choose a space")] + [
            (str(space.pk), space.name) for space in spaces
        ]

    def clean_wres_indicator(self) -> int | None:
        value = self.cleaned_data.get("wres_indicator")
        return int(value) if value else None

    def clean_space(self):
        value = self.cleaned_data.get("space")
        if not value:
            return None
        space = self.spaces.get(value)
        if space is None:
            raise ValidationError("Choose one of the spaces you are a member of.")
        return space

    @property
    def due_parts(self) -> list[str]:
        return date_parts(self, "due_on")

    def service_fields(self) -> dict:
        """The keywords of services.create_commitment / edit_commitment (COMMITMENT_FIELDS)."""
        fields = {name: self.cleaned_data[name] for name in COMMITMENT_FIELDS}
        fields["visibility"] = fields["visibility"] or CommitmentVisibility.PRIVATE
        return fields


class UpdateForm(forms.Form):
    happened = _text("What happened?", NOTE_MAX, help_text=MARKDOWN_HELP)
    learned = _text("What did you learn? (optional)", NOTE_MAX, rows=3)
    hard = _text("What was hard? (optional)", NOTE_MAX, rows=3)
    status = forms.ChoiceField(
        label="Status",
        required=False,
        widget=Radios,
        error_messages={"invalid_choice": "Choose a status this commitment can move on to."},
    )
    closing_note = _text(
        "If it is done or dropped: what changed, or why not?",
        NOTE_MAX,
        help_text="Needed to mark it done or dropped.",
        rows=3,
    )
    report = forms.BooleanField(label="Also post this as a report in the thread", required=False)

    def __init__(self, *args, current: str, next_statuses, report_label: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        labels = dict(CommitmentStatus.choices)
        self.fields["status"].choices = [("", f"Keep it as “{labels[current]}”")] + [
            (value, labels[value]) for value in next_statuses
        ]
        self.fields["status"].initial = ""
        if not next_statuses:
            del self.fields["status"]
            del self.fields["closing_note"]
        if report_label:
            self.fields["report"].label = report_label
            self.fields["report"].help_text = (
                "A short reply that says it is a report on this commitment and links to it. "
                "The thread's usual rules apply."
            )
        else:
            del self.fields["report"]


class RemindersForm(forms.Form):
    reminders = forms.BooleanField(required=False)


class ProposalForm(forms.Form):
    text = forms.CharField(
        label="An action members could take",
        help_text=f"Up to {PROPOSAL_MAX} characters. Attendees adopt it as their own and edit it "
        "to fit.",
        max_length=PROPOSAL_MAX * 2,
        required=False,
        strip=False,
        widget=_textarea(3),
    )


class ListFilterForm(forms.Form):
    status = forms.ChoiceField(
        label="Status", choices=[("", "Any status"), *CommitmentStatus.choices], required=False
    )
    area = forms.ChoiceField(
        label="Action area", choices=[("", "Any area"), *ActionArea.choices], required=False
    )
    due = forms.ChoiceField(
        label="Date", choices=[("", "Any date"), *DUE_FILTERS.items()], required=False
    )


class LibraryFilterForm(forms.Form):
    space = forms.ChoiceField(label="Action area or space", required=False)
    kind = forms.ChoiceField(
        label="Kind",
        choices=[
            ("", "Case studies and resources"),
            ("case-study", "Case studies"),
            ("resource", "Resources"),
        ],
        required=False,
    )
    wres = forms.ChoiceField(
        label="WRES indicator", choices=[("", "Any indicator"), *WRES_CHOICES[1:]], required=False
    )
    sort = forms.ChoiceField(label="Order", choices=list(LIBRARY_SORTS.items()), required=False)

    def __init__(self, *args, spaces, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["space"].choices = [("", "All")] + [(s.slug, s.name) for s in spaces]


class CaseStudyForm(forms.Form):
    space = forms.ChoiceField(
        label="Which space is it for?",
        error_messages={"invalid_choice": "Choose one of the spaces you can start threads in."},
    )
    title = forms.CharField(
        label="Title",
        max_length=TITLE_MAX * 2,
        required=False,
        strip=False,
        widget=forms.TextInput(attrs={"class": "nhsuk-input"}),
    )
    body = _text("Summary", SUMMARY_MAX, help_text="Two or three sentences: what this is about.")
    context = _text("The problem and context", SECTION_MAX, help_text=MARKDOWN_HELP, rows=6)
    actions = _text("What we did", SECTION_MAX, rows=6)
    changed = _text("What changed", SECTION_MAX, rows=6)
    measure = forms.CharField(
        label="Measure (optional)",
        help_text="For example “shortlisted ethnic-minority applicants, band 8a and above”.",
        max_length=400,
        required=False,
        widget=forms.TextInput(attrs={"class": "nhsuk-input"}),
    )
    before = forms.CharField(
        label="Before (optional)",
        max_length=400,
        required=False,
        widget=forms.TextInput(attrs={"class": "nhsuk-input nhsuk-input--width-20"}),
    )
    after = forms.CharField(
        label="After (optional)",
        max_length=400,
        required=False,
        widget=forms.TextInput(attrs={"class": "nhsuk-input nhsuk-input--width-20"}),
    )
    did_not_work = _text("What did not work", SECTION_MAX, rows=5)
    contact = _text(
        "Who to talk to (optional)",
        CONTACT_MAX,
        help_text="A role or a team members can contact. Think before naming a person.",
        rows=2,
    )
    wres_indicator = forms.ChoiceField(
        label="WRES indicator (optional)", choices=WRES_CHOICES, required=False
    )
    visibility = forms.ChoiceField(
        label="Who can see it?",
        choices=ThreadVisibility.choices,
        initial=ThreadVisibility.SPACE,
        widget=Radios,
    )
    content_note = forms.CharField(
        label="Content note (optional)",
        help_text="A short warning, for example “describes racist abuse”.",
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

    def __init__(self, *args, spaces, **kwargs):
        super().__init__(*args, **kwargs)
        self.spaces = {space.slug: space for space in spaces}
        self.fields["space"].choices = [("", "Choose a space")] + [
            (space.slug, space.name) for space in spaces
        ]
        self.fields["space"].error_messages["required"] = "Choose the space to share it in."

    def clean_space(self):
        space = self.spaces.get(self.cleaned_data.get("space") or "")
        if space is None:
            raise ValidationError("Choose one of the spaces you can start threads in.")
        return space

    def sections(self) -> dict[str, str]:
        names = (
            "context",
            "actions",
            "changed",
            "measure",
            "before",
            "after",
            "did_not_work",
            "contact",
        )
        return {name: self.cleaned_data.get(name, "") for name in names}


class CaseStudyEditForm(CaseStudyForm):
    """Change a case study's title, summary and sections (its space, visibility and anonymity
    stay as they are). A moderator editing someone else's gives a reason."""

    reason = forms.CharField(
        label="Reason for the edit",
        help_text="The author is told this, and the audit log keeps it.",
        max_length=500,
        required=False,
        widget=forms.Textarea(attrs={"class": "nhsuk-textarea", "rows": 2}),
    )

    def __init__(self, *args, moderating: bool = False, **kwargs):
        super().__init__(*args, spaces=[], **kwargs)
        for name in ("space", "visibility", "content_note", "anonymous"):
            del self.fields[name]
        if not moderating:
            del self.fields["reason"]
