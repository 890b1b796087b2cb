from django import forms

from ..models import OAuthApplication, SandboxUser
from .services import redirect_uri_validate, sandbox_user_authenticate


class SignInForm(forms.Form):
    """A sandbox user's email and password on the consent page."""

    email = forms.EmailField(
        max_length=254, widget=forms.EmailInput(attrs={"autocomplete": "username", "autofocus": True})
    )
    password = forms.CharField(
        strip=False, widget=forms.PasswordInput(attrs={"autocomplete": "current-password"})
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = None

    def clean(self):
        cleaned = super().clean()
        if self.errors:
            return cleaned
        self.user = sandbox_user_authenticate(email=cleaned["email"], password=cleaned["password"])
        if self.user is None:
            raise forms.ValidationError(
                "The email or password is incorrect. Check both and try again.", code="invalid_login"
            )
        return cleaned


class ApplicationRegisterForm(forms.Form):
    """The options of `manage.py sandbox_oauth_app`."""

    name = forms.CharField(max_length=OAuthApplication._meta.get_field("name").max_length)
    redirect_uri = forms.CharField(required=False, validators=[redirect_uri_validate])
    grant_type = forms.ChoiceField(
        choices=OAuthApplication.GrantType.choices, initial=OAuthApplication.GrantType.AUTHORIZATION_CODE
    )
    owner = forms.EmailField(required=False)

    def clean_owner(self):
        email = self.cleaned_data["owner"]
        if not email:
            return None
        owner = SandboxUser.objects.filter(email__iexact=email).first()
        if owner is None:
            raise forms.ValidationError(f"No sandbox user has the email {email}.")
        return owner

    def clean(self):
        cleaned = super().clean()
        grant_type = cleaned.get("grant_type")
        if grant_type == OAuthApplication.GrantType.AUTHORIZATION_CODE and cleaned.get("redirect_uri") == "":
            self.add_error("redirect_uri", "An authorization_code app needs a redirect URI.")
        if (
            grant_type == OAuthApplication.GrantType.CLIENT_CREDENTIALS
            and "owner" in cleaned
            and cleaned["owner"] is None
        ):
            self.add_error("owner", "A client_credentials app needs an owner: its tokens act as that user.")
        return cleaned
