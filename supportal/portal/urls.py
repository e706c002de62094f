from django.urls import path

from supportal.accounts.urls import auth_urlpatterns
from supportal.portal import views
from supportal.portal.views import company, knowledge

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
    path("files/<int:attachment_id>/preview/", views.file_preview, name="file_preview"),
    path("company/contacts/", company.contacts, name="contacts"),
    path("company/contacts/new/", company.contact_new, name="contact_new"),
    path("company/contacts/<int:contact_id>/", company.contact, name="contact"),
    path(
        "company/contacts/<int:contact_id>/newsletters/",
        company.contact_subscriptions,
        name="contact_subscriptions",
    ),
    path(
        "company/contacts/<int:contact_id>/invite/", company.contact_invite, name="contact_invite"
    ),
    path(
        "company/contacts/<int:contact_id>/active/", company.contact_active, name="contact_active"
    ),
    path("company/join/<str:token>/", company.company_join, name="company_join"),
    path("downloads/", company.downloads, name="downloads"),
    path("downloads/<int:download_id>/file/", company.download_file, name="download_file"),
    path("help/", company.support_help, name="help"),
    path("articles/", knowledge.articles, name="articles"),
    path("articles/<int:article_id>/", knowledge.article, name="article"),
    path("articles/<int:article_id>/feedback/", knowledge.feedback, name="article_feedback"),
    path(
        "articles/<int:article_id>/pictures/<int:picture_id>/",
        knowledge.article_picture,
        name="article_picture",
    ),
    path("suggestions/", knowledge.suggestions, name="suggestions"),
    path(
        "suggestions/<str:kind>/<int:object_id>/",
        knowledge.suggestion_open,
        name="suggestion_open",
    ),
    path("newsletters/", company.my_newsletters, name="my_newsletters"),
    path(
        "newsletters/unsubscribe/<str:token>/",
        company.newsletter_unsubscribe,
        name="newsletter_unsubscribe",
    ),
]

# Log-in and log-out are the accounts app's; config/urls.py takes them from here.
__all__ = ["auth_urlpatterns", "urlpatterns"]
