"""Template helpers for NHS.UK form markup."""

from __future__ import annotations

from django import forms, template
from django.forms.widgets import Input

register = template.Library()

_BASE_CLASS = {
    forms.Textarea: "nhsuk-textarea",
    forms.Select: "nhsuk-select",
    forms.SelectMultiple: "nhsuk-select",
    forms.NumberInput: "nhsuk-input nhsuk-input--width-5",
    Input: "nhsuk-input",
}


@register.filter
def nhsuk_widget(field: forms.BoundField) -> str:
    """Render a bound field's widget with the NHS.UK classes for its type and error state."""
    widget = field.field.widget
    wanted = ""
    for widget_class, css in _BASE_CLASS.items():
        if isinstance(widget, widget_class):
            wanted = css
            break
    if field.errors and wanted:
        wanted += f" {wanted.split()[0]}--error"
    existing = widget.attrs.get("class", "")
    classes = " ".join(dict.fromkeys((existing + " " + wanted).split()))
    attrs = {"class": classes} if classes else {}
    if field.errors:
        attrs["aria-invalid"] = "true"
    return field.as_widget(attrs=attrs)
