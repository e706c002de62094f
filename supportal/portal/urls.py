from django.contrib.auth import views as auth_views
from django.urls import path

from supportal.portal import views

app_name = "portal"
urlpatterns = [
    path("", views.request_list, name="requests"),
    path("requests/<str:reference>/", views.request_detail, name="request"),
    path("requests/<str:reference>/comment/", views.request_comment, name="comment"),
    path("requests/<str:reference>/do/<str:action>/", views.request_action, name="action"),
    path("files/<int:attachment_id>/", views.file_download, name="file"),
]

auth_urlpatterns = [
    path("login/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
]
