from django.contrib.auth import views as auth_views
from django.urls import include, path

from . import views, views_users

#: 系统管理 → 用户 and one's own 账号安全 (namespace ``accounts``).
manage = ([
    path("users/", views_users.user_list, name="user-list"),
    path("users/new/", views_users.user_create, name="user-create"),
    path("users/locks/", views_users.locks, name="locks"),
    path("users/security/", views_users.security_overview, name="security-overview"),
    path("users/<int:pk>/", views_users.user_detail, name="user-detail"),
    path("users/<int:pk>/deactivate/", views_users.user_deactivate, name="user-deactivate"),
    path("users/<int:pk>/activate/", views_users.user_activate, name="user-activate"),
    path("users/<int:pk>/reset-password/", views_users.user_reset_password, name="user-reset-password"),
    path("users/<int:pk>/revoke-tokens/", views_users.user_revoke_tokens, name="user-revoke-tokens"),
    path("users/<int:pk>/end-sessions/", views_users.user_end_sessions, name="user-end-sessions"),
    path("users/<int:pk>/reset-2fa/", views_users.user_reset_two_factor, name="user-reset-2fa"),
    path("security/", views.my_security, name="security"),
    path("security/end-sessions/", views.end_my_sessions, name="end-my-sessions"),
    path("security/codes/", views.two_factor_codes, name="two-factor-codes"),
    path("security/disable-2fa/", views.two_factor_disable, name="two-factor-disable"),
], "accounts")

urlpatterns = [
    path("login/", auth_views.LoginView.as_view(template_name="accounts/login.html"), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("password/", views.PasswordChangeView.as_view(
        template_name="accounts/password_change.html", success_url="/"), name="password_change"),
    path("token/", views.api_token, name="api-token"),
    path("2fa/setup/", views.two_factor_setup, name="two-factor-setup"),
    path("2fa/verify/", views.two_factor_verify, name="two-factor-verify"),
    path("", include(manage)),
]
