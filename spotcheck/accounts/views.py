from __future__ import annotations

from typing import Any

from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods
from rest_framework.authtoken.models import Token

from spotcheck.audit.actions import record


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """Work bench: counts of what the user can see, and links to the parts of the product."""
    from spotcheck.directory.models import Conflict, Inspector, Institution

    user: Any = request.user
    if user.role == "institution" and not user.is_superuser:
        return redirect("credit:mine")  # an institution account only has its own credit file
    counts = {
        "institutions": Institution.objects.restrict(user).count(),
        "inspectors": Inspector.objects.restrict(user).count(),
        "conflicts": Conflict.objects.restrict(user).count(),
    }
    return render(request, "accounts/home.html", {"counts": counts})


@login_required
@require_http_methods(["GET", "POST"])
def api_token(request: HttpRequest) -> HttpResponse:
    """Show or (POST) rotate the user's API token. Rotation is audited."""
    token = Token.objects.filter(user=request.user).first()
    if request.method == "POST":
        if token:
            token.delete()
        token = Token.objects.create(user=request.user)
        record(request.user, "api_token.rotate", object_type="accounts.token", object_id=str(request.user.pk))
    return render(request, "accounts/token.html", {"token": token})


class PasswordChangeView(auth_views.PasswordChangeView):
    """Django's password change page, as an action: the change is recorded in the audit chain."""

    def form_valid(self, form: Any) -> HttpResponse:
        from spotcheck.base.transactions import atomic_action

        from .actions import record_user_saved

        with atomic_action():
            response = super().form_valid(form)
            record_user_saved(self.request.user, [self.request.user], "accounts.user.password", "本人修改密码")
        return response
