"""The dashboard's forms: what a manager types before a service asks WebWork.

A form checks only what it must to call the service; WebWork has the last word. A
`ServiceError` from the service lands on the form (`add_service_error`): on the fields it
names, else above them, and the form keeps what was typed.
"""

from django import forms

from integrations.services.members import ROLES as MEMBER_ROLES


def add_service_error(form, error):
    """Put a ServiceError's messages on `form`: each on its field when the form has it, the rest
    (and the message itself when no field is named) on the form as a whole."""
    placed = False
    for name, messages in (error.field_errors or {}).items():
        for message in messages:
            form.add_error(name if name in form.fields else None, message)
            placed = True
    if not placed:
        form.add_error(None, error.message)
    return form


# --- People -----------------------------------------------------------------------------------


# The roles WebWork lets a manager give (every role but Owner), in its order.
ROLE_CHOICES = [(role, role) for role in MEMBER_ROLES]


class MemberRoleForm(forms.Form):
    """A member's role (`member_update`)."""

    role = forms.ChoiceField(choices=ROLE_CHOICES, label="Role")


class MemberInviteForm(forms.Form):
    """Inviting someone to the workspace (`member_invite`); WebWork emails them."""

    email = forms.EmailField(label="Email address", max_length=254)
    firstname = forms.CharField(label="First name", max_length=100)
    lastname = forms.CharField(label="Last name", max_length=100)
    role = forms.ChoiceField(choices=ROLE_CHOICES, label="Role", initial="Regular User")
