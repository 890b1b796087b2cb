"""The dashboard's forms: what a manager types before a service asks WebWork.

A form checks only what it must to call the service; WebWork has the last word. A
`ServiceError` from the service lands on the form (`add_service_error`): on the fields it
names, else above them, and the form keeps what was typed.
"""

from decimal import Decimal

from django import forms
from django.http import Http404

from dashboard.selectors import contracts as contract_terms
from integrations.models import ExpenseCategory, Member, Project
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


# --- Choosing a workspace's rows ----------------------------------------------------------------


class WorkspaceRowField(forms.ModelChoiceField):
    """One of the workspace's mirror rows, chosen by its WebWork id.

    `queryset`: the rows offered (the select's options). An id that names no row of the workspace
    at all is a 404, as the same id in a URL would be; a row of the workspace that is not offered
    (WebWork no longer lists it, or it is not one to choose here) is an error on the field.
    """

    def __init__(self, queryset, *, workspace_rows, not_offered, **kwargs):
        super().__init__(queryset, to_field_name="webwork_id", **kwargs)
        self.workspace_rows = workspace_rows
        self.not_offered = not_offered

    def to_python(self, value):
        if value in self.empty_values:
            return None
        value = str(value).strip()
        row = self.workspace_rows.filter(webwork_id=value[:64]).first()
        if row is None:
            raise Http404("No such row in this workspace.")
        if row.removed_at is not None:
            raise forms.ValidationError(self.not_offered)
        return row


# --- Contracts ---------------------------------------------------------------------------------


NOT_A_CONTRACT_MEMBER = (
    "This person cannot be put on a project: they left the workspace, or are a project viewer."
)


class ContractForm(forms.Form):
    """A contract's terms (`contract_update`), and for a new contract its member and project too
    (`contract_create`). The rate is offered only to a manager who may see rates. WebWork sets the
    rate type itself: a rate given makes it a custom rate; without one, the member's rate applies,
    else the project's."""

    weekly_hours_limit = forms.IntegerField(
        label="Weekly limit (hours)",
        required=False,
        min_value=0,
        max_value=contract_terms.NO_LIMIT,
        help_text="Whole hours from 0 to 168. Leave it empty for no limit (168 h, WebWork's default).",
        error_messages={
            "invalid": "Give the weekly limit as whole hours from 0 to 168.",
            "min_value": "Give the weekly limit as whole hours from 0 to 168.",
            "max_value": "Give the weekly limit as whole hours from 0 to 168.",
        },
        widget=forms.NumberInput(attrs={"placeholder": "No limit", "inputmode": "numeric"}),
    )
    rate = forms.DecimalField(
        label="Hourly rate",
        required=False,
        min_value=Decimal("0"),
        max_digits=10,
        decimal_places=2,
        error_messages={"min_value": "Give the rate as a number of 0 or more."},
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
    )
    screenshots = forms.ChoiceField(label="Screenshots", required=False)

    def __init__(self, *args, workspace, sees_rates, contract=None, **kwargs):
        self.contract = contract
        if contract is not None and "initial" not in kwargs:
            kwargs["initial"] = {
                "weekly_hours_limit": None
                if contract.weekly_hours_limit >= contract_terms.NO_LIMIT
                else contract.weekly_hours_limit,
                "rate": contract.rate,
                "screenshots": contract.screenshots,
            }
        super().__init__(*args, **kwargs)
        modes = list(contract_terms.SCREENSHOT_MODES)
        if contract is None:
            modes.insert(0, ("", "WebWork's default (screenshots on)"))
        elif contract.screenshots and contract.screenshots not in dict(modes):
            modes.insert(0, (contract.screenshots, contract_terms.screenshot_words(contract.screenshots)))
        self.fields["screenshots"].choices = modes
        currency = (contract.currency if contract is not None else "") or workspace.currency
        if not sees_rates:
            del self.fields["rate"]
        else:
            self.fields["rate"].label = f"Hourly rate{f' ({currency})' if currency else ''}"
            self.fields["rate"].help_text = (
                "A rate given here is the contract's own (a custom rate). Leave it empty to use the "
                "member's rate, else the project's."
                if contract is None
                else "Change it to give the contract a rate of its own (a custom rate); WebWork cannot "
                "take a rate away once given."
            )
        if contract is None:
            offered = contract_terms.contract_form_choices(workspace=workspace)
            self.offered = offered
            self.fields["member"] = WorkspaceRowField(
                offered.members,
                workspace_rows=Member.objects.filter(workspace=workspace),
                not_offered=NOT_A_CONTRACT_MEMBER,
                label="Member",
                empty_label="Choose the member",
                error_messages={"required": "Choose the member."},
            )
            self.fields["project"] = WorkspaceRowField(
                offered.projects,
                workspace_rows=Project.objects.filter(workspace=workspace),
                not_offered="WebWork no longer has this project.",
                label="Project",
                empty_label="Choose the project",
                error_messages={"required": "Choose the project."},
            )
            self.order_fields(["member", "project", "weekly_hours_limit", "rate", "screenshots"])

    def clean_member(self):
        member = self.cleaned_data.get("member")
        if member is not None and not self.offered.members.filter(pk=member.pk).exists():
            raise forms.ValidationError(NOT_A_CONTRACT_MEMBER)
        return member

    def clean_project(self):
        project = self.cleaned_data.get("project")
        if project is not None and not self.offered.projects.filter(pk=project.pk).exists():
            raise forms.ValidationError(f"{project.name} is archived; restore it in WebWork first.")
        return project

    def create_kwargs(self):
        """The cleaned fields as `contract_create` takes them (empty ones left to WebWork)."""
        data = self.cleaned_data
        return {
            "member": data["member"],
            "project": data["project"],
            "weekly_hours_limit": data.get("weekly_hours_limit"),
            "rate": data.get("rate"),
            "screenshots": data.get("screenshots") or None,
        }

    def update_kwargs(self):
        """The terms changed, as `contract_update` takes them: an emptied limit is no limit (168);
        an emptied rate is left as it is."""
        data = self.cleaned_data
        changed = {}
        if "weekly_hours_limit" in self.changed_data:
            limit = data.get("weekly_hours_limit")
            changed["weekly_hours_limit"] = contract_terms.NO_LIMIT if limit is None else limit
        if "rate" in self.fields and "rate" in self.changed_data and data.get("rate") is not None:
            changed["rate"] = data["rate"]
        if "screenshots" in self.changed_data and data.get("screenshots"):
            changed["screenshots"] = data["screenshots"]
        return changed


# --- Project viewers ---------------------------------------------------------------------------


class ViewerAddForm(forms.Form):
    """Adding a project viewer (`project_viewer_create`); WebWork emails them."""

    email = forms.EmailField(label="Email address", max_length=254)
    firstname = forms.CharField(label="First name", max_length=100)
    lastname = forms.CharField(label="Last name", max_length=100)


class ViewerProjectForm(forms.Form):
    """A project to give a viewer, or to take from them (`project_viewer_assign`/`_unassign`)."""

    def __init__(self, *args, workspace, offered=None, **kwargs):
        super().__init__(*args, **kwargs)
        projects = Project.objects.filter(workspace=workspace)
        self.fields["project"] = WorkspaceRowField(
            offered
            if offered is not None
            else projects.filter(removed_at__isnull=True).order_by("name", "id"),
            workspace_rows=projects,
            not_offered="WebWork no longer has this project.",
            label="Project",
            empty_label="Choose a project",
            error_messages={"required": "Choose the project."},
        )
        self.fields["project"].label_from_instance = lambda p: (
            f"{p.name} (archived)" if p.status == 0 else p.name
        )


# --- Expenses ----------------------------------------------------------------------------------


class ExpenseForm(forms.Form):
    """An expense to record (`expense_create`) or to change (`expense_update`: not its member,
    which WebWork keeps)."""

    name = forms.CharField(label="What", max_length=200)
    date = forms.DateField(label="Date", widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    amount = forms.DecimalField(
        label="Amount",
        max_digits=12,
        decimal_places=2,
        min_value=Decimal("0.01"),
        error_messages={"min_value": "Give the amount as a number greater than 0."},
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
    )
    note = forms.CharField(
        label="Note", required=False, max_length=5000, widget=forms.Textarea(attrs={"rows": 2})
    )
    is_billable = forms.BooleanField(label="Billable to the client", required=False)

    def __init__(self, *args, workspace, editing=False, **kwargs):
        super().__init__(*args, **kwargs)
        categories = ExpenseCategory.objects.filter(workspace=workspace)
        projects = Project.objects.filter(workspace=workspace)
        members = Member.objects.filter(workspace=workspace)
        self.fields["category"] = WorkspaceRowField(
            categories.filter(removed_at__isnull=True).order_by("name", "id"),
            workspace_rows=categories,
            not_offered="WebWork no longer has this category.",
            label="Category",
            empty_label="Choose a category",
            error_messages={"required": "Choose the expense's category."},
        )
        self.fields["project"] = WorkspaceRowField(
            projects.filter(removed_at__isnull=True).order_by("name", "id"),
            workspace_rows=projects,
            not_offered="WebWork no longer has this project.",
            label="Project",
            required=False,
            empty_label="No project",
        )
        if not editing:
            self.fields["member"] = WorkspaceRowField(
                members.filter(removed_at__isnull=True).order_by("firstname", "lastname", "id"),
                workspace_rows=members,
                not_offered="This person is no longer a member of the workspace.",
                label="Spent by",
                empty_label="Choose the member",
                error_messages={"required": "Choose who spent it."},
            )
        self.order_fields(["name", "date", "amount", "category", "project", "member", "note", "is_billable"])

    def service_kwargs(self):
        """The cleaned fields as `expense_create`/`expense_update` take them."""
        data = self.cleaned_data
        kwargs = {
            "name": data["name"],
            "date": data["date"],
            "amount": data["amount"],
            "category": data["category"],
            "project": data.get("project"),
            "note": data.get("note") or "",
            "is_billable": bool(data.get("is_billable")),
        }
        if "member" in self.fields:
            kwargs["member"] = data["member"]
        return kwargs

    @classmethod
    def initial_of(cls, expense):
        """The form's initial values for editing `expense` (a mirror row)."""
        return {
            "name": expense.name,
            "date": expense.date,
            "amount": expense.amount,
            "category": expense.category.webwork_id if expense.category else None,
            "project": expense.project.webwork_id if expense.project else None,
            "note": expense.note,
            "is_billable": expense.is_billable,
        }
