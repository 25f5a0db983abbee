"""The public lecture registration form: a name, an email, the price chosen (for a sliding fee) and consent."""

from django import forms

from apps.core.forms import PlainWordsMixin

from .models import FeeTier, GroupProgram, LectureFeeMode
from .services.lectures import CONSENT_ASKED


class _LectureRegistrationFields(forms.Form):
    name = forms.CharField(max_length=200, label="Your name", widget=forms.TextInput(attrs={"autocomplete": "name"}))
    email = forms.EmailField(
        max_length=254, label="Your email", widget=forms.EmailInput(attrs={"autocomplete": "email"})
    )
    fee_tier = forms.ChoiceField(
        choices=FeeTier.choices,
        widget=forms.RadioSelect,
        label="The price you will pay at the door",
        help_text="Choose the reduced price if the full price is more than you can afford. Nobody will ask why.",
    )
    consent = forms.BooleanField(
        label="Email me about this lecture series: my seat, reminders and any change.",
        # The label is a sentence of its own: quoted inside another it would not read.
        error_messages={"required": CONSENT_ASKED},
        help_text="We use your email for this series only and never share it.",
    )

    def __init__(self, *args, program: GroupProgram, **kwargs):
        super().__init__(*args, **kwargs)
        if not program.pays_at_the_door:
            self.fields["fee_tier"].label = "The price you will pay"  # a lecture by video has no door
        if program.fee_mode == LectureFeeMode.SLIDING:
            self.fields["fee_tier"].choices = [
                (FeeTier.FULL, f"Full price, ${program.full_price} per lecture"),
                (FeeTier.REDUCED, f"Reduced price, ${program.reduced_price} per lecture"),
            ]
        else:
            del self.fields["fee_tier"]


class LectureRegistrationForm(PlainWordsMixin, _LectureRegistrationFields):
    """Refuses in the plain words of the patients' own forms, a visitor having no one at hand to ask; worded once the
    fields are fitted to the series, so a lecture by video asks for "The price you will pay", with no door."""
