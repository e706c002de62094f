from django.urls import path

from supportal.workspace import reports
from supportal.workspace.views import canned, company, quarantine, queue, register, setup, ticket

app_name = "workspace"
urlpatterns = [
    path("", queue.queue, name="queue"),
    path("counts/", queue.queue_counts_json, name="counts"),
    path("bulk/", queue.bulk, name="bulk"),
    path("views/save/", queue.saved_view_save, name="view_save"),
    path("views/<int:view_id>/delete/", queue.saved_view_delete, name="view_delete"),
    path("new/", register.request_register, name="register"),
    path("setup/", setup.support_line_setup, name="setup"),
    path("new/requester/", register.requester_lookup, name="requester_lookup"),
    path("reports/sla/", reports.sla_report_page, name="sla_report"),
    path("reports/csat/", reports.csat_report_page, name="csat_report"),
    path("canned/", canned.canned_list, name="canned"),
    path("canned/<int:reply_id>/", canned.canned_edit, name="canned_edit"),
    path("canned/<int:reply_id>/delete/", canned.canned_delete, name="canned_delete"),
    path("tickets/<str:reference>/", ticket.ticket_detail, name="ticket"),
    path("tickets/<str:reference>/comment/", ticket.ticket_comment, name="comment"),
    path("tickets/<str:reference>/do/<str:action>/", ticket.ticket_action, name="action"),
    path("tickets/<str:reference>/assign/", ticket.ticket_assign, name="assign"),
    path("tickets/<str:reference>/fields/", ticket.ticket_fields, name="fields"),
    path("tickets/<str:reference>/participants/", ticket.participant_add, name="participant_add"),
    path(
        "tickets/<str:reference>/participants/<int:user_id>/remove/",
        ticket.participant_remove,
        name="participant_remove",
    ),
    path("tickets/<str:reference>/quote/", ticket.quote_propose, name="quote"),
    path("tickets/<str:reference>/presence/", ticket.ticket_presence, name="presence"),
    path("tickets/<str:reference>/leave/", ticket.ticket_leave, name="leave"),
    path("tickets/<str:reference>/export/", ticket.ticket_export, name="export"),
    path("mail/quarantined/", quarantine.quarantine_list, name="quarantine"),
    path("mail/<int:message_id>/original.eml", quarantine.mail_original, name="mail_original"),
    path(
        "mail/quarantined/discard/",
        quarantine.quarantine_discard_selected,
        name="quarantine_discard_selected",
    ),
    path(
        "mail/quarantined/<int:message_id>/",
        quarantine.quarantine_detail,
        name="quarantine_detail",
    ),
    path(
        "mail/quarantined/<int:message_id>/<str:decision>/",
        quarantine.quarantine_decide,
        name="quarantine_decide",
    ),
    path("companies/", company.companies, name="companies"),
    path("companies/<int:organization_id>/", company.company, name="company"),
    path("companies/<int:organization_id>/new/", company.contact_new, name="contact_new"),
    path("contacts/<int:contact_id>/", company.contact, name="contact"),
    path(
        "contacts/<int:contact_id>/newsletters/",
        company.contact_subscriptions,
        name="contact_subscriptions",
    ),
    path("contacts/<int:contact_id>/invite/", company.contact_invite, name="contact_invite"),
    path("contacts/<int:contact_id>/active/", company.contact_active, name="contact_active"),
    path("downloads/", company.downloads, name="downloads"),
    path("downloads/new/", company.download_publish, name="download_publish"),
    path("newsletters/", company.newsletters, name="newsletters"),
    path("newsletters/<int:newsletter_id>/", company.newsletter, name="newsletter"),
    path("newsletters/issues/<int:issue_id>/", company.newsletter_issue, name="newsletter_issue"),
]
