from __future__ import annotations

from typing import Any

from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_http_methods
from rest_framework.authtoken.models import Token

from spotcheck.base.transactions import atomic_action

from . import actions
from .models import User


@login_required
@require_http_methods(["GET", "POST"])
def api_token(request: HttpRequest) -> HttpResponse:
    """Show or (POST) rotate the user's API token. Rotation is audited."""
    if request.method == "POST":
        token = actions.rotate_api_token(request.user)
    else:
        token = Token.objects.filter(user=request.user).first()
    return render(request, "accounts/token.html", {"token": token})


class PasswordChangeView(auth_views.PasswordChangeView):
    """Django's password change page, as an action: the change is recorded in the audit chain."""

    def form_valid(self, form: Any) -> HttpResponse:
        with atomic_action():
            response = super().form_valid(form)
            user = User.objects.get(pk=self.request.user.pk)  # the row itself, not the request's lazy proxy
            actions.record_user_saved(user, [user], "accounts.user.password", "本人修改密码")
        return response
