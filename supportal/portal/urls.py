from django.urls import path

from supportal.accounts.urls import auth_urlpatterns
from supportal.portal import views

app_name = "portal"
urlpatterns = [
    path("", views.request_list, name="requests"),
    path("awaiting/", views.awaiting_reply, name="awaiting"),
    path("requests/new/", views.request_new, name="new"),
    path("requests/<str:reference>/", views.request_detail, name="request"),
    path("requests/<str:reference>/record/", views.request_record, name="record"),
    path("requests/<str:reference>/comment/", views.request_comment, name="comment"),
    path("requests/<str:reference>/do/<str:action>/", views.request_action, name="action"),
    path("requests/<str:reference>/notifications/", views.request_mute, name="mute"),
    path("requests/<str:reference>/participants/", views.participant_add, name="participant_add"),
    path(
        "requests/<str:reference>/participants/<int:user_id>/remove/",
        views.participant_remove,
        name="participant_remove",
    ),
    path(
        "requests/<str:reference>/quotes/<int:quote_id>/answer/",
        views.quote_answer,
        name="quote_answer",
    ),
    path("requests/<str:reference>/feedback/", views.feedback_give, name="feedback"),
    path("files/<int:attachment_id>/", views.file_download, name="file"),
]

# Log-in and log-out are the accounts app's; config/urls.py takes them from here.
__all__ = ["auth_urlpatterns", "urlpatterns"]
