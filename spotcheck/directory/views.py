from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


@login_required
def institution_list(request: HttpRequest) -> HttpResponse:  # placeholder
    return render(request, "base.html")


inspector_list = conflict_list = institution_list
