from django.urls import path

from supportal.workspace import views

app_name = "workspace"
urlpatterns = [
    path("", views.queue, name="queue"),
    path("tickets/<str:reference>/", views.ticket_detail, name="ticket"),
    path("tickets/<str:reference>/comment/", views.ticket_comment, name="comment"),
    path("tickets/<str:reference>/do/<str:action>/", views.ticket_action, name="action"),
]
