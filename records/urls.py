from django.urls import path

from . import views

app_name = "records"
urlpatterns = [
    path("documents/<int:pk>/", views.document_download, name="document_download"),
    path("students/<int:pk>/photo/", views.student_photo, name="student_photo"),
]
