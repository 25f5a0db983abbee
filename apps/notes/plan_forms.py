from django import forms

from .plan_services import PLAN_ATTESTATION


class PlanSignForm(forms.Form):
    # Optional here: plan_sign refuses an unticked box with the message shown next to it.
    attest = forms.BooleanField(label=PLAN_ATTESTATION, required=False)
