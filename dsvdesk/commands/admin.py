"""Station administration: `init`, `users ...`, `audit verify|export`, `backup`, `restore`.

Passwords come from a hidden prompt, or from $DSVDESK_PASSWORD (the acting user's) and
$DSVDESK_NEW_PASSWORD (a new user's) for scripts.
"""

from __future__ import annotations

import argparse
import datetime as dt
from pathlib import Path
from typing import TYPE_CHECKING, Any

from dsvdesk.commands._common import (
    add_common,
    add_user_option,
    open_store,
    print_json,
    read_new_password,
    read_password,
    read_recovery_key,
    sign_in,
)
from dsvdesk.errors import (
    BadInput,
    Conflict,
    EnvironmentProblem,
    NotFound,
    NotReady,
    PermissionDenied,
    UsageError,
)

if TYPE_CHECKING:
    from dsvdesk.store.anchor import AuditHead
    from dsvdesk.store.models import AuditVerification

ROLES = ("officer", "supervisor", "admin")


def register(subparsers: Any) -> None:
    init = subparsers.add_parser(
        "init",
        help="create the database and the first admin (and the station's signing CA)",
        description="Create the DSVDesk database for a station with its first admin account. The admin's "
        "password (from $DSVDESK_PASSWORD or a prompt) also protects the station's signing key.",
    )
    init.add_argument(
        "--station", required=True, metavar="NAME", help="station name, e.g. 'Trial Police Station'"
    )
    init.add_argument("--admin", required=True, metavar="USERNAME", help="username of the first admin")
    init.add_argument("--full-name", metavar="NAME", help="the admin's full name (default: the username)")
    init.add_argument(
        "--force-root-fingerprint",
        metavar="FINGERPRINT",
        help="pin the force root (SHA-256 from force ICT's letter) and write the station's certificate request",
    )
    init.add_argument(
        "--request-out",
        type=Path,
        metavar="FILE",
        help="where to write the certificate request (default: station_request.csr beside the database)",
    )
    init.add_argument(
        "--escrow-public",
        type=Path,
        metavar="FILE",
        help="the force's escrow public key (escrow_public.pem from `dsvdesk ca escrow-init`); every record "
        "key is wrapped for it. Without it (demo and test stations only) a key pair is made and its "
        "private part discarded",
    )
    add_common(init)
    init.set_defaults(handler=run_init)

    users = subparsers.add_parser("users", help="add, list and manage user accounts (admins)")
    users_sub = users.add_subparsers(dest="users_command", metavar="ACTION", required=True)

    add = users_sub.add_parser(
        "add",
        help="add a user; their password comes from $DSVDESK_NEW_PASSWORD or a prompt",
        description="Add an officer, supervisor or admin. The acting admin's password ($DSVDESK_PASSWORD) "
        "unlocks the station key that issues the new user's signing certificate.",
    )
    add.add_argument("username", metavar="USERNAME")
    add.add_argument("--role", required=True, choices=ROLES)
    add.add_argument("--name", required=True, metavar="FULL NAME", help="printed under their signature")
    add.add_argument("--collar", metavar="NUMBER", default="", help="collar / warrant number")
    add_user_option(add, "the acting admin (signs in)")
    add_common(add)
    add.set_defaults(handler=run_users_add)

    list_ = users_sub.add_parser("list", help="list user accounts")
    list_.add_argument("--json", action="store_true", help="print JSON")
    add_user_option(list_, "who is asking (an admin or supervisor)")
    add_common(list_)
    list_.set_defaults(handler=run_users_list)

    reset = users_sub.add_parser(
        "reset-password",
        help="set a new password for a user (a new signing key is issued)",
        description="Set a new password ($DSVDESK_NEW_PASSWORD or prompt). The user's old signing key cannot be "
        "recovered, so a new key and certificate are issued; signatures already made stay valid.",
    )
    reset.add_argument("username", metavar="USERNAME")
    add_user_option(reset, "the acting admin (signs in)")
    add_common(reset)
    reset.set_defaults(handler=run_users_reset)

    role = users_sub.add_parser("set-role", help="change a user's role (their certificate is re-issued)")
    role.add_argument("username", metavar="USERNAME")
    role.add_argument("--role", required=True, choices=ROLES)
    add_user_option(role, "the acting admin (signs in)")
    add_common(role)
    role.set_defaults(handler=run_users_set_role)

    disable = users_sub.add_parser(
        "disable",
        help="disable an account (someone who left): no sign-in, reads nothing; their records stay with the "
        "supervisors. `users reset-password` enables it again",
    )
    disable.add_argument("username", metavar="USERNAME")
    add_user_option(disable, "the acting admin (signs in)")
    add_common(disable)
    disable.set_defaults(handler=run_users_disable)

    unlock = users_sub.add_parser("unlock", help="unlock an account locked after wrong passwords")
    unlock.add_argument("username", metavar="USERNAME")
    add_user_option(unlock, "the acting admin (signs in)")
    add_common(unlock)
    unlock.set_defaults(handler=run_users_unlock)

    audit = subparsers.add_parser("audit", help="check or export the audit log (DPA 2018 s.62)")
    audit_sub = audit.add_subparsers(dest="audit_command", metavar="ACTION", required=True)
    verify = audit_sub.add_parser(
        "verify",
        help="check the audit log's hash chain and signed checkpoints; exit 8 (broken, first broken event "
        "named) or 9 (intact, but not leading to the force root given with --trust)",
        description="Check the hash chain, the signature of every checkpoint (the chain head signed at each "
        "submission, approval, export, pack, backup and sign-out: each certificate must lead to the force "
        "root pinned at this station, user -> station CA -> force root) and the head every stored signed PDF "
        "was made at. With --against FILE (a signed PDF, a board pack, an encrypted backup or a transfer bundle), also prove "
        "that the log still holds the head that file was made at. With --trust FORCE_ROOT.pem, the "
        "checkpoints must also lead to that root (one you hold, not the database's copy).",
    )
    verify.add_argument(
        "--against",
        type=Path,
        metavar="FILE",
        help="a signed PDF, a board pack (.zip or folder), an encrypted backup or a transfer bundle of this station",
    )
    verify.add_argument(
        "--trust", type=Path, metavar="FORCE_ROOT.pem", help="the force root you hold (from force ICT)"
    )
    verify.add_argument(
        "--station",
        metavar="UNIT",
        help="check instead the audit log another unit (code, name or id) sent here in its transfer "
        "bundles: its hash chain from event 1, its checkpoints against that unit's station CA, the head "
        "each of its bundles carried",
    )
    verify.add_argument(
        "--recovery-key",
        action="store_true",
        help="open an --against backup with the station recovery key ($DSVDESK_RECOVERY_KEY or a prompt) "
        "instead of your password",
    )
    add_user_option(verify, "who is checking (an admin or supervisor)")
    add_common(verify)
    verify.set_defaults(handler=run_audit_verify)
    export = audit_sub.add_parser(
        "export", help="write the audit log as CSV (for the Information Commissioner)"
    )
    export.add_argument("--out", required=True, type=Path, metavar="FILE.csv")
    export.add_argument("--from", dest="date_from", metavar="YYYY-MM-DD", help="first day (UTC), inclusive")
    export.add_argument("--to", dest="date_to", metavar="YYYY-MM-DD", help="last day (UTC), inclusive")
    add_user_option(export, "who exports (an admin or supervisor)")
    add_common(export)
    export.set_defaults(handler=run_audit_export)

    backup = subparsers.add_parser(
        "backup", help="write a consistent copy of the database (safe while DSVDesk is running)"
    )
    backup.add_argument("--out", required=True, type=Path, metavar="FILE")
    add_user_option(backup, "who makes the backup (an admin or supervisor)")
    add_common(backup)
    backup.set_defaults(handler=run_backup)

    restore = subparsers.add_parser(
        "restore",
        help="replace the database with a backup (close DSVDesk first)",
        description="Replace the database with FILE. Refused if the database has newer activity than the "
        "backup, unless --force. --user must be an admin in the backup.",
    )
    restore.add_argument("file", type=Path, metavar="FILE")
    restore.add_argument("--force", action="store_true", help="replace even a database with newer activity")
    restore.add_argument(
        "--recovery-key",
        action="store_true",
        help="open the backup with the station recovery key ($DSVDESK_RECOVERY_KEY or a prompt) instead of "
        "a password",
    )
    restore.add_argument("--user", metavar="USERNAME", help="an admin of the backed-up station")
    add_common(restore)
    restore.set_defaults(handler=run_restore)

    recover = subparsers.add_parser(
        "recover",
        help="set a new sign-in password for an account with the station recovery key",
        description="When every admin password is lost: the station recovery key (printed at init; "
        "$DSVDESK_RECOVERY_KEY or a prompt) opens the database and USERNAME gets a new password "
        "($DSVDESK_NEW_PASSWORD or a prompt). Signing keys protected by the lost password stay locked.",
    )
    recover.add_argument("username", metavar="USERNAME")
    add_common(recover)
    recover.set_defaults(handler=run_recover)


def _date(text: str | None, flag: str) -> dt.date | None:
    if not text:
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise UsageError(f"{flag} needs a date like 2026-01-31, not {text!r}.") from None


def _require_reviewer(role: str) -> None:
    if role not in ("admin", "supervisor"):
        raise PermissionDenied("Only an admin or a supervisor can do this.")


# --------------------------------------------------------------------------------------- handlers
def run_init(args: argparse.Namespace) -> int:
    from dsvdesk.commands.trust import write_new
    from dsvdesk.store import forceca

    pin = forceca.normalise_fingerprint(args.force_root_fingerprint) if args.force_root_fingerprint else None
    escrow = _read_escrow_public(args.escrow_public) if args.escrow_public else None
    password = read_new_password(args.admin, env="DSVDESK_PASSWORD")
    with open_store(args, create=True) as store:
        if store.is_initialised():
            raise Conflict(f"The database {store.path} is already set up; nothing was changed.")
        request_out = args.request_out or store.path.with_name("station_request.csr")
        if pin is not None and request_out.exists():
            raise Conflict(f"{request_out} already exists; give another --request-out. Nothing was set up.")
        user = store.init_station(
            args.station,
            args.admin,
            args.full_name or args.admin,
            password,
            force_root_fingerprint=pin,
            escrow_public=escrow,
        )
        recovery = store.take_recovery_key()
        if store.take_escrow_private() is not None:
            print(
                "No force escrow key was given (--escrow-public): a key pair was made for this station and its "
                "private part discarded, so only the records' own readers can ever open them. Use this for "
                "demonstrations and tests only."
            )
        print(f"Station {user.station!r} set up in {store.path}; admin account {user.username!r} created.")
        print(
            "The database is encrypted. The station's recovery key (print it or write it down, give it to the "
            "force's ICT and keep it off this PC; it is not stored anywhere and is not shown again):\n\n"
            f"    {recovery}\n"
        )
        if pin is None:
            print(
                "Station CA not certified by a force: documents will say so until force ICT certifies it "
                "(dsvdesk trust pin FINGERPRINT, then dsvdesk trust request)."
            )
            return 0
        session = store.login(args.admin, password)
        pem = store.station_request(session, password)
        store.logout(session)
    write_new(request_out, pem)
    print(f"Pinned the force root {pin}.")
    print(f"Wrote the station's certificate request {request_out}; send it to force ICT (dsvdesk ca issue).")
    return 0


def _read_escrow_public(path: Path) -> bytes:
    from dsvdesk.store import sealing

    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise NotFound(f"There is no escrow key file at {path}.") from None
    except OSError as exc:
        raise EnvironmentProblem(
            f"The escrow key file {path} cannot be read ({exc.strerror or exc})."
        ) from None
    try:
        return sealing.load_public_pem(data)
    except ValueError:
        raise BadInput(
            f"{path} is not an escrow public key (an X25519 public key in PEM form, escrow_public.pem from "
            "`dsvdesk ca escrow-init`). Nothing was set up."
        ) from None


def run_users_add(args: argparse.Namespace) -> int:
    with open_store(args) as store:
        session, acting_password = sign_in(store, args.user)
        if session.role.value != "admin":
            raise PermissionDenied("Only an admin can add users.")
        password = read_new_password(args.username)
        user = store.add_user(
            session, args.username, args.role, args.name, args.collar, password, acting_password
        )
        print(f"Added {user.role.value} {user.username!r} ({user.full_name}).")
    return 0


def run_users_list(args: argparse.Namespace) -> int:
    with open_store(args) as store:
        session, _ = sign_in(store, args.user)
        users = store.list_users(session)
    if args.json:
        print_json(
            [
                {
                    "username": u.username,
                    "full_name": u.full_name,
                    "role": u.role.value,
                    "collar": u.collar,
                    "station": u.station,
                    "locked_until": u.locked_until,
                }
                for u in users
            ]
        )
        return 0
    width = max((len(u.username) for u in users), default=8)
    for u in users:
        locked = f"  locked until {u.locked_until}" if u.locked_until else ""
        collar = f" ({u.collar})" if u.collar else ""
        print(f"{u.username:<{width}}  {u.role.value:<10}  {u.full_name}{collar}{locked}")
    return 0


def run_users_reset(args: argparse.Namespace) -> int:
    with open_store(args) as store:
        session, acting_password = sign_in(store, args.user)
        if session.role.value != "admin":
            raise PermissionDenied("Only an admin can reset passwords.")
        new_password = read_new_password(args.username)
        store.reset_password(session, args.username, new_password, acting_password)
        print(f"Password for {args.username!r} reset; a new signing certificate was issued.")
    return 0


def run_users_set_role(args: argparse.Namespace) -> int:
    with open_store(args) as store:
        session, acting_password = sign_in(store, args.user)
        user = store.set_role(session, args.username, args.role, acting_password)
        print(f"{user.username!r} is now {user.role.value}.")
    return 0


def run_users_disable(args: argparse.Namespace) -> int:
    with open_store(args) as store:
        session, _ = sign_in(store, args.user)
        store.disable_user(session, args.username)
        print(
            f"{args.username!r} is disabled: the account cannot sign in and reads nothing; its records stay."
        )
    return 0


def run_users_unlock(args: argparse.Namespace) -> int:
    with open_store(args) as store:
        session, _ = sign_in(store, args.user)
        store.unlock_user(session, args.username)
        print(f"{args.username!r} can sign in again.")
    return 0


def run_audit_verify(args: argparse.Namespace) -> int:
    from dsvdesk.commands.export import load_trust
    from dsvdesk.export.heads import HeadSource, heads_of

    against: Path | None = args.against
    if against is not None and not against.exists():
        raise NotFound(f"There is no file at {against}.")
    roots = tuple(load_trust(args.trust)) if args.trust else ()
    recovery = read_recovery_key() if args.recovery_key else None
    with open_store(args) as store:
        session, password = sign_in(store, args.user)
        _require_reviewer(session.role.value)
        source = HeadSource(store, session.user.username, password, recovery)
        if args.station is not None:
            if against is not None or roots:
                raise UsageError(
                    "--station checks another unit's imported log: give it without --against/--trust."
                )
            result = store.verify_station_audit(args.station)
            print(f"The audit log {store.transfer_peer(args.station).name} sent to this PC:")
            return _report_audit(result, [], None)
        heads = heads_of(against, source) if against is not None else []
        result = store.verify_audit(exported=tuple(heads), force_roots=roots)
    return _report_audit(result, heads, against)


def _report_audit(result: AuditVerification, heads: list[AuditHead], against: Path | None) -> int:
    from dsvdesk.export.audit_check import describe

    check = describe(result, heads, against)
    for line in check.lines:
        print(line)
    return int(check.exit_code)


def run_audit_export(args: argparse.Namespace) -> int:
    date_from, date_to = _date(args.date_from, "--from"), _date(args.date_to, "--to")
    if date_from and date_to and date_from > date_to:
        raise UsageError("--from must not be after --to.")
    with open_store(args) as store:
        session, _ = sign_in(store, args.user)
        count = store.export_audit_csv(args.out, date_from, date_to, session=session)
    print(f"Wrote {count} audit events to {args.out}.")
    return 0


def run_backup(args: argparse.Namespace) -> int:
    with open_store(args) as store:
        session, _ = sign_in(store, args.user)
        out = store.backup(args.out, session=session)
    print(f"Backup written to {out}.")
    return 0


def run_restore(args: argparse.Namespace) -> int:
    from dsvdesk.cli import db_path
    from dsvdesk.store import restore

    target = db_path(args)
    if args.recovery_key:
        recovery = read_recovery_key()
        restore(
            args.file, target, admin_username="", admin_password=None, recovery_key=recovery, force=args.force
        )
    else:
        if not args.user:
            raise UsageError("Give --user ADMIN (an admin of the backed-up station), or --recovery-key.")
        password = read_password(args.user)
        restore(args.file, target, admin_username=args.user, admin_password=password, force=args.force)
    print(f"Restored {target} from {args.file}.")
    return 0


def run_recover(args: argparse.Namespace) -> int:
    recovery = read_recovery_key()
    with open_store(args) as store:
        if not store.is_initialised():
            raise NotReady(f"The database {store.path} is not set up; there is nothing to recover.")
        new_password = read_new_password(args.username)
        store.recover_account(recovery, args.username, new_password)
    print(f"{args.username!r} can sign in with the new password.")
    return 0
