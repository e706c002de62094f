from django.urls import path

from supportal.sso import views

app_name = "sso"

urlpatterns = [
    path("<slug:provider>/start/", views.start, name="start"),
    path("<slug:provider>/callback/", views.callback, name="callback"),
]
