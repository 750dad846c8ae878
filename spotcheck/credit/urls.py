"""URLs of the credit app."""

from django.urls import path  # noqa: F401

app_name = "credit"

urlpatterns: list = []
