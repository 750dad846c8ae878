"""URL patterns of the inspection documents, included by ``inspections/urls.py``::

    path("", include(urls_documents))   # or: urlpatterns += urls_documents.urlpatterns

Names: ``notice``, ``record-sheet``, ``result-notice``; ``?format=pdf`` (default) or ``?format=docx``.
"""

from django.urls import path

from . import views_documents

urlpatterns = [
    path("<int:pk>/documents/notice/", views_documents.notice, name="notice"),
    path("<int:pk>/documents/record-sheet/", views_documents.record_sheet, name="record-sheet"),
    path("<int:pk>/documents/result-notice/", views_documents.result_notice, name="result-notice"),
]
