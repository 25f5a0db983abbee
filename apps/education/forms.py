"""Forms for the library pages and the portal. The services check everything again, so the API and these pages
refuse the same input with the same words."""

from django import forms

from apps.core.forms import PortalForm

from .models import CareLevel, ItemKind, LibraryItem
from .services import ENTRY_MAX_LENGTH, NOTE_MAX_LENGTH
from .uploads import file_limit_text


class LibraryItemForm(forms.Form):
    title = forms.CharField(max_length=200)
    kind = forms.ChoiceField(choices=ItemKind.choices)
    care_level = forms.ChoiceField(label="Care level it suits", choices=CareLevel.choices)
    description = forms.CharField(
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="What the patient reads before opening it. For a journaling prompt, how to approach the writing.",
    )
    link = forms.URLField(
        required=False, max_length=500, assume_scheme="https", help_text="A web page, book page or recorded lecture."
    )
    file = forms.FileField(
        label="Or upload a file",
        required=False,
        help_text=f"Instead of a link: {file_limit_text()}. Uploading replaces the item's current file or link.",
        widget=forms.ClearableFileInput(attrs={"accept": ".pdf,.mp3,.m4a,application/pdf,audio/mpeg,audio/mp4"}),
    )

    @classmethod
    def for_item(cls, item: LibraryItem, data=None, files=None) -> "LibraryItemForm":
        initial = {k: getattr(item, k) for k in ("title", "kind", "care_level", "description", "link")}
        return cls(data, files, initial=initial)


class ItemChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, item: LibraryItem) -> str:
        return f"{item.title} ({item.get_kind_display()}, {item.get_care_level_display()})"


class AssignForm(forms.Form):
    item = ItemChoiceField(label="Material", queryset=LibraryItem.objects.none(), empty_label="Choose…")
    note = forms.CharField(
        label="Note to the patient (optional)",
        required=False,
        max_length=NOTE_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Shown to the patient with the item, in the portal only. Emails never carry it.",
    )

    def __init__(self, *args, items=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["item"].queryset = items


class EntryForm(PortalForm):
    text = forms.CharField(label="Your entry", max_length=ENTRY_MAX_LENGTH, widget=forms.Textarea(attrs={"rows": 8}))
