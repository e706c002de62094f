from django.urls import path

from supportal.imports import views

app_name = "imports"
urlpatterns = [
    path(
        "servicedesk/customer/portal/<int:portal>/<str:reference>",
        views.old_request_link,
        name="old_request",
    ),
    path("servicedesk/customer/portal/<int:portal>/<str:reference>/", views.old_request_link),
    path("servicedesk/customer/user/login", views.old_login_link, name="old_login"),
    path("helpdesk/tickets/<int:ticket_id>/", views.old_helpdesk_ticket, name="old_helpdesk"),
    path("helpdesk/view/", views.old_helpdesk_public, name="old_helpdesk_public"),
]
