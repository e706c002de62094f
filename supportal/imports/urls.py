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
    # osTicket's client portal, staff panel and mailed links (docs/import.md#old-links).
    path("tickets.php", views.old_osticket_ticket_link, name="old_osticket_ticket"),
    path("scp/tickets.php", views.old_osticket_ticket_link, name="old_osticket_staff"),
    path("view.php", views.old_osticket_view_link, name="old_osticket_view"),
    path("helpdesk/tickets/<int:ticket_id>/", views.old_helpdesk_ticket, name="old_helpdesk"),
    path("helpdesk/view/", views.old_helpdesk_public, name="old_helpdesk_public"),
]
