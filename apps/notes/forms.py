from django import forms

from apps.accounts.forms import supervisor_label
from apps.accounts.models import User

from .models import ATTESTATION, COSIGN_ATTESTATION, NoteTemplate
from .selectors import cosign_successors, templates_active


class StartNoteForm(forms.Form):
    template = forms.ModelChoiceField(queryset=NoteTemplate.objects.none(), empty_label=None)

    def __init__(self, *args, appointment, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["template"].queryset = templates_active(discipline=appointment.service_type.discipline)


class SignForm(forms.Form):
    # Not required here: saving a draft posts the same form, and services.note_sign is what refuses a signature
    # without it, for the page and the API alike.
    attest = forms.BooleanField(label=ATTESTATION, required=False)


class CosignForm(forms.Form):
    # Not required here either: services.note_cosign refuses a co-signature without it, for the page and the API.
    attest = forms.BooleanField(label=COSIGN_ATTESTATION, required=False)


class AddendumForm(forms.Form):
    text = forms.CharField(label="Addendum", widget=forms.Textarea(attrs={"rows": 4}), max_length=20000)


class ProcessNoteForm(forms.Form):
    text = forms.CharField(
        label="Process note",
        widget=forms.Textarea(attrs={"rows": 12}),
        max_length=20000,
        help_text="Private to you: never part of the record, never shared, never exported.",
    )


class CosignHandOverForm(forms.Form):
    """Who takes over the notes awaiting a supervisor's co-signature. The list offers those who may
    (selectors.cosign_successors); anyone posted is taken, and services.note_cosigns_hand_over says on the field why
    they may not (one who left since the page was opened, say)."""

    successor = forms.ModelChoiceField(queryset=User.objects.all(), label="Hand them over to")

    def __init__(self, *args, supervisor: User, **kwargs):
        super().__init__(*args, **kwargs)
        successor = self.fields["successor"]
        successor.choices = [("", "Choose a supervisor")] + [
            (user.pk, supervisor_label(user)) for user in cosign_successors(supervisor=supervisor)
        ]
