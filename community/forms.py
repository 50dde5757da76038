"""Forms for sign-up, profiles, spaces, membership and invitations."""

from __future__ import annotations

from allauth.account.forms import AddEmailForm as AllauthAddEmailForm
from allauth.account.forms import SignupForm as AllauthSignupForm
from allauth.core import context as allauth_context
from django import forms
from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.core.exceptions import ValidationError
from django.utils import timezone

from . import services
from .adapters import INVITATION_SESSION_KEY, email_domain_allowed, may_add_email
from .models import Invitation, Space, User


class SignupForm(AllauthSignupForm):
    """allauth's sign-up plus the profile's required name and an optional invitation code."""

    display_name = forms.CharField(
        label="Display name",
        max_length=80,
        help_text="How other members will see you, for example “Amara Okafor”.",
    )
    organisation = forms.CharField(label="Organisation (optional)", max_length=120, required=False)
    job_title = forms.CharField(label="Job title (optional)", max_length=120, required=False)
    invitation = forms.CharField(
        label="Invitation code (optional)",
        max_length=64,
        required=False,
        help_text="Needed if your email address is not from a participating organisation.",
    )

    field_order = [
        "email",
        "display_name",
        "organisation",
        "job_title",
        "password1",
        "password2",
        "invitation",
    ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        request = allauth_context.request
        if request is not None and not self.is_bound:
            token = request.session.get(INVITATION_SESSION_KEY)
            if token:
                self.fields["invitation"].initial = token
                invitation = Invitation.objects.usable().filter(token=token).first()
                if invitation is not None and invitation.email:
                    self.fields["email"].initial = invitation.email

    def clean_display_name(self) -> str:
        name = self.cleaned_data["display_name"].strip()
        if not name:
            raise ValidationError("Enter the name other members will see.")
        return name

    def clean(self):
        cleaned = super().clean()
        email = (cleaned.get("email") or "").lower()
        token = (cleaned.get("invitation") or "").strip()
        self._invitation = None
        if token:
            invitation = Invitation.objects.usable().filter(token=token).first()
            if invitation is None:
                self.add_error(
                    "invitation", "This invitation has expired or has already been used."
                )
                return cleaned
            if invitation.email and email and invitation.email.lower() != email:
                self.add_error(
                    "invitation", "This invitation was sent to a different email address."
                )
                return cleaned
            self._invitation = invitation
        elif email and not email_domain_allowed(email):
            self.add_error(
                "email",
                "Sign-up is open to participating organisations' email addresses. "
                "Use your work address, or ask a moderator for an invitation.",
            )
        return cleaned

    def try_save(self, request):
        if self.account_already_exists:
            # A new account costs a password hash; hash this one too (and throw it away) so the
            # answer's timing does not tell that the address already has an account.
            make_password(self.cleaned_data.get("password1") or "")
        return super().try_save(request)

    def save(self, request):
        user = super().save(request)
        user.display_name = self.cleaned_data["display_name"]
        user.organisation = self.cleaned_data.get("organisation", "")
        user.job_title = self.cleaned_data.get("job_title", "")
        user.save(update_fields=["display_name", "organisation", "job_title"])
        if self._invitation is not None:
            services.redeem_invitation(user=user, token=self._invitation.token)
            request.session.pop(INVITATION_SESSION_KEY, None)
        return user


class AddEmailForm(AllauthAddEmailForm):
    """allauth's add-email form, held to the same allowed domains as sign-up."""

    def clean_email(self) -> str:
        email = super().clean_email()
        if not may_add_email(self.user, email):
            raise ValidationError(
                "You can add addresses from participating organisations only. "
                "Use your work address, or ask a moderator for an invitation."
            )
        return email


class ProfileForm(forms.ModelForm):
    class Meta:
        model = User
        fields = ["display_name", "organisation", "job_title", "pronouns", "bio", "email_frequency"]
        widgets = {"bio": forms.Textarea(attrs={"rows": 4})}
        help_texts = {
            "pronouns": "Optional, for example she/her, he/him, they/them.",
            "bio": "Optional. A sentence or two about your role; up to 600 characters.",
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Left out of a submission (an older form, a script): the member's choice stays.
        self.fields["email_frequency"].required = False

    def clean_email_frequency(self) -> str:
        return self.cleaned_data.get("email_frequency") or self.instance.email_frequency

    def clean_display_name(self) -> str:
        name = self.cleaned_data["display_name"].strip()
        if not name:
            raise ValidationError("Enter the name other members will see.")
        return name


class JoinRequestForm(forms.Form):
    message = forms.CharField(
        label="Why would you like to join? (optional)",
        max_length=500,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class RolesForm(forms.Form):
    moderator = forms.BooleanField(required=False, label="Moderator")
    facilitator = forms.BooleanField(required=False, label="Facilitator")


class RequiredReasonForm(forms.Form):
    reason = forms.CharField(
        label="Reason (the member is told this)",
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={"required": "Give a reason: the member is told why."},
    )


class InvitationForm(forms.Form):
    email = forms.EmailField(
        label="Email address (optional)",
        required=False,
        help_text="Only this address can use the invitation. Leave empty for anyone with the link.",
    )
    expires_at = forms.DateField(
        label="Expires on",
        required=False,
        help_text="Defaults to 14 days from today; at most 90 days.",
        widget=forms.DateInput(attrs={"type": "date"}),
    )

    def clean_expires_at(self):
        """The end of the chosen day, within the lifetimes ``create_invitation`` allows (on the
        last allowed day, the moment it runs out)."""
        value = self.cleaned_data.get("expires_at")
        if value is None:
            return None
        now = timezone.now()
        longest = settings.INVITATION_MAX_LIFETIME
        if value > timezone.localdate(now + longest):
            raise ValidationError(f"Choose an expiry date within {longest.days} days from today.")
        moment = timezone.make_aware(
            timezone.datetime.combine(value, timezone.datetime.max.time().replace(microsecond=0))
        )
        if moment < now + settings.INVITATION_MIN_LIFETIME:
            raise ValidationError("Choose an expiry date at least an hour from now.")
        return min(moment, now + longest)


class GuidelinesForm(forms.Form):
    body = forms.CharField(
        label="Guidelines (Markdown)", widget=forms.Textarea(attrs={"rows": 14}), max_length=20000
    )
    change_summary = forms.CharField(label="What changed", max_length=300, required=False)


class SpaceSettingsForm(forms.ModelForm):
    """What a space's moderators may change. Name and slug changes are staff-only (admin)."""

    class Meta:
        model = Space
        fields = [
            "summary",
            "join_policy",
            "listed",
            "premoderation_count",
            "autohide_threshold",
            "slow_mode_seconds",
        ]
        labels = {
            "listed": "List this space in the directory",
            "premoderation_count": "Posts to approve before a new member posts freely",
            "autohide_threshold": "Hide an item after this many members flag it",
            "slow_mode_seconds": "Slow mode (seconds between a member's posts)",
        }
        help_texts = {
            "listed": "Unlisted spaces are invisible to anyone who is not a member.",
            "premoderation_count": "0 turns pre-moderation off.",
            "autohide_threshold": "Hidden until a moderator decides. 0 turns auto-hide off.",
            "slow_mode_seconds": "0 turns slow mode off.",
        }
        widgets = {"summary": forms.Textarea(attrs={"rows": 5})}

    def clean_slow_mode_seconds(self) -> int:
        value = self.cleaned_data["slow_mode_seconds"]
        if value > 24 * 3600:
            raise ValidationError("Slow mode can be at most one day (86,400 seconds).")
        return value


class NewSpaceForm(SpaceSettingsForm):
    guidelines = forms.CharField(
        label="Guidelines for this space (Markdown)",
        widget=forms.Textarea(attrs={"rows": 8}),
        max_length=20000,
    )

    class Meta(SpaceSettingsForm.Meta):
        fields = ["name", "slug", *SpaceSettingsForm.Meta.fields]
        help_texts = {
            **SpaceSettingsForm.Meta.help_texts,
            "slug": "Used in the web address: lower-case letters, numbers and hyphens.",
        }
