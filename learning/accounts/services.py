"""The accounts package's public names, gathered from the modules that own them.

Callers in other packages import from here (`from learning.accounts.services import audit`), so
the split by concern stays an inner detail: passwords, sign-in and throttling, sessions, scopes,
the audit log, departments and users each live in their own module. Add no logic here.
"""

from __future__ import annotations

from learning.accounts.audit import audit, audit_export
from learning.accounts.departments import (
    PATH_SEPARATOR,
    all_departments,
    clean_name,
    create_department,
    delete_department,
    department_path,
    department_paths,
    department_tree,
    ensure_department_path,
    find_department,
    get_department,
    lock_directory,
    path_problem,
    short_department_path,
    split_path,
    update_department,
)
from learning.accounts.passwords import (
    check_password,
    generate_temporary_password,
    hash_password,
    reset_password,
    set_password,
    validate_new_password,
)
from learning.accounts.scope import (
    SYSTEM,
    can_use_hr_pages,
    can_view_official,
    hr_scope,
    is_admin,
    officials_in_scope_condition,
    require_admin,
    require_view_official,
)
from learning.accounts.sessions import (
    end_session,
    end_sessions,
    load_session_user,
    start_session,
)
from learning.accounts.signin import (
    DEVICE_COOKIE,
    DEVICE_COOKIE_DAYS,
    AccountInactive,
    Device,
    InvalidCredentials,
    Limits,
    SignInLock,
    Throttled,
    authenticate,
    canonical_address,
    change_own_password,
    check_throttle,
    find_user_for_sign_in,
    new_device_cookie,
    read_device_cookie,
    sign_in_lock,
    unlock_address,
    unlock_sign_in,
)
from learning.accounts.tokens import (
    MAX_ACTIVE_TOKENS,
    MAX_EXPIRY_DAYS,
    TOKEN_PREFIX,
    NewToken,
    can_manage_token,
    create_token,
    find_token_user,
    get_token,
    list_tokens,
    note_token_use,
    revoke_token,
)
from learning.accounts.users import (
    OfficialRecord,
    UserData,
    count_officials_by_department,
    create_user,
    export_officials,
    get_official,
    get_user,
    list_officials,
    normalize_email,
    normalize_username,
    set_active,
    set_language,
    set_roles,
    update_user,
)
from learning.errors import DomainError, NotFound, PermissionDenied, RuleViolation

__all__ = [
    "PATH_SEPARATOR", "SYSTEM", "AccountInactive", "DomainError", "InvalidCredentials",
    "NotFound", "OfficialRecord", "PermissionDenied", "RuleViolation", "Throttled", "UserData",
    "export_officials",
    "all_departments", "audit", "audit_export", "authenticate", "can_use_hr_pages",
    "can_view_official",
    "change_own_password", "check_password", "check_throttle", "clean_name",
    "count_officials_by_department", "create_department", "create_user", "delete_department",
    "end_session", "end_sessions", "start_session",
    "department_path", "department_paths", "department_tree", "ensure_department_path",
    "find_department",
    "find_user_for_sign_in",
    "short_department_path",
    "generate_temporary_password", "get_department", "get_official", "get_user",
    "hash_password", "hr_scope",
    "is_admin", "list_officials", "load_session_user", "lock_directory", "normalize_email",
    "normalize_username", "officials_in_scope_condition", "path_problem", "require_admin",
    "require_view_official", "reset_password",
    "set_active", "set_language", "set_password", "set_roles", "split_path",
    "update_department", "update_user", "validate_new_password",
    # API tokens
    "MAX_ACTIVE_TOKENS", "MAX_EXPIRY_DAYS", "TOKEN_PREFIX", "NewToken", "can_manage_token",
    "create_token", "find_token_user", "get_token", "list_tokens", "note_token_use",
    "revoke_token",
    "DEVICE_COOKIE", "DEVICE_COOKIE_DAYS", "Device", "new_device_cookie",
    "read_device_cookie", "Limits", "SignInLock", "sign_in_lock", "canonical_address",
    "unlock_address",
    "unlock_sign_in",
]
