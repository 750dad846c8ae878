from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


@login_required
def institution_list(request: HttpRequest) -> HttpResponse:  # placeholder
    return render(request, "base.html")


inspector_list = conflict_list = institution_list

institution_create = institution_detail = institution_edit = institution_list
inspector_create = inspector_detail = inspector_edit = institution_list
conflict_create = conflict_detail = conflict_edit = region_list = department_list = institution_list
