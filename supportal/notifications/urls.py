from django.urls import path

from supportal.notifications import views

app_name = "notifications"
urlpatterns = [
    path("mute/<str:token>/", views.mute_link, name="mute"),
    path("preferences/", views.preferences, name="preferences"),
    path("templates/", views.template_list, name="templates"),
    path("templates/<str:template>/<str:language>/", views.template_edit, name="template_edit"),
    path("outbox/", views.outbox_list, name="outbox"),
    path("outbox/<int:email_id>/", views.outbox_detail, name="outbox_email"),
    path("outbox/<int:email_id>/html/", views.outbox_html, name="outbox_html"),
]
