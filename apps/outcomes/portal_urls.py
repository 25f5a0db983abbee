"""Patient portal paths for questionnaires and the journal (included under /portal/, names in "portal")."""

from django.urls import path

from . import portal_views

urlpatterns = [
    path("questionnaires/", portal_views.questionnaires, name="questionnaires"),
    path("questionnaires/<int:pk>/", portal_views.questionnaire_answer, name="questionnaire_answer"),
    path("journal/", portal_views.journal, name="journal"),
    path("journal/<int:pk>/", portal_views.journal_entry, name="journal_entry"),
    path("journal/<int:pk>/share/", portal_views.journal_entry_share, name="journal_entry_share"),
    path("journal/<int:pk>/delete/", portal_views.journal_entry_delete, name="journal_entry_delete"),
]
