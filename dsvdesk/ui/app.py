"""Start the desktop app: fonts, style, the exception hook, sign-in, then the main window.

``run_app(db_path, demo)`` is what ``dsvdesk`` (no sub-command) calls. ``start(...)`` does everything
but the event loop, so tests can drive the same start-up.

Cold start is measured to the sign-in window's first paint (benchmarks/, issue 9), so only what that
window needs is imported at module level: the store's gate (light: no cryptography, no engine; before
Qt, since PySide's import hook reads the source of every module imported after it), Qt and the sign-in
dialog. The message helpers (when a box is shown), the rest of the store, the first-run dialog, the main
window with its screens and the wizard, and the form loader (PyYAML) are imported inside the functions,
after sign-in where possible. Qt names are bound on first use (dsvdesk/ui/qt.py), and nothing on the way to
the sign-in window names PySide's ``Qt`` enum namespace, which alone costs ~40 ms to build
(tests/ui/test_cold_start.py keeps it that way).
"""

from __future__ import annotations

import sys
import threading
import types
from collections.abc import Callable, Collection, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from dsvdesk import APP_NAME, __version__, log, paths
from dsvdesk.errors import UserFacingError
from dsvdesk.store.gate import StationGate
from dsvdesk.ui import first_paint
from dsvdesk.ui.dialogs.login import LoginDialog
from dsvdesk.ui.marking import set_current_marking
from dsvdesk.ui.qt import QApplication, QEvent, QFont, QFontDatabase, QTimer, QWidget
from dsvdesk.ui.state import UiState

if TYPE_CHECKING:
    from dsvdesk.ui.main_window import MainWindow

# How long after the sign-in window opens the forms start compiling in the background: after its first
# paint (a few tens of ms), well before a password is typed.
_FORMS_WARM_UP_DELAY_MS = 300
# the session's name order (ui/name_sort.py) begins once the main window has painted
_NAME_ORDER_DELAY_MS = 300

# The app font's families in fallback order: DejaVu for Latin/Greek/Cyrillic, then the Noto faces of the
# scripts DejaVu lacks (Bengali, Gurmukhi, Gujarati, Tamil, Arabic/Urdu; the same faces the PDFs use,
# dsvdesk/export/fonts.py), then WenQuanYi for CJK. Qt takes each character from the first family that has it.
BASE_FONT_FAMILIES = [
    "DejaVu Sans",
    "Noto Sans Bengali",
    "Noto Sans Gurmukhi",
    "Noto Sans Gujarati",
    "Noto Sans Tamil",
    "Noto Sans Arabic",
    "WenQuanYi Micro Hei",
]


# The sign-in window's text is DejaVu alone (its labels, the station name and usernames are Latin script,
# upright: regular, bold for the heading and the marking, mono for the demo accounts): at start-up only
# these files are registered before it paints; the other faces (the obliques, the Noto scripts, the 4 MB
# CJK face) once it has painted, while the password is typed (cold start, issue 22).
_FIRST_PAINT_FONTS = frozenset({"DejaVuSans.ttf", "DejaVuSans-Bold.ttf", "DejaVuSansMono.ttf"})


def register_fonts(
    fonts_dir: Path | None = None,
    pattern: str = "*.tt[fc]",
    *,
    only: Collection[str] | None = None,
    skip: Collection[str] = (),
) -> list[str]:
    """Register the bundled TTFs (those matching ``pattern``, named in ``only`` if given, not in ``skip``)
    so text renders on a PC with no fonts installed. Returns the families."""
    families: list[str] = []
    folder = fonts_dir or paths.fonts_dir()
    for font_file in sorted(folder.glob(pattern)):
        if (only is not None and font_file.name not in only) or font_file.name in skip:
            continue
        font_id = QFontDatabase.addApplicationFont(str(font_file))
        if font_id < 0:
            log.ui.warning("could not register font file %s", font_file.name)
            continue
        for family in QFontDatabase.applicationFontFamilies(font_id):
            if family not in families:
                families.append(family)
    return families


def _set_families(app: QApplication, families: Sequence[str]) -> None:
    font = QFont(app.font())  # keeps the system's point size, so text follows the user's font scaling
    font.setFamilies([f for f in BASE_FONT_FAMILIES if f in families or f == BASE_FONT_FAMILIES[0]])
    app.setFont(font)


def apply_look(app: QApplication, *, defer_fallbacks: bool = False) -> None:
    """The bundled fonts and the stylesheet. With ``defer_fallbacks`` (the app's start) only the
    DejaVu faces are registered now and the other scripts' faces once the first window has painted
    (``first_paint.after_first_paint``): the sign-in window paints without waiting for them."""
    if defer_fallbacks:
        first = register_fonts(only=_FIRST_PAINT_FONTS)
        _set_families(app, first)

        def fallbacks() -> None:
            _set_families(app, [*first, *register_fonts(skip=_FIRST_PAINT_FONTS)])

        first_paint.after_first_paint(fallbacks)
    else:
        _set_families(app, register_fonts())
    style = paths.resources_dir() / "style.qss"
    try:
        app.setStyleSheet(style.read_text(encoding="utf-8"))
    except OSError:
        log.ui.warning("stylesheet %s not found; using the default look", style.name)


def install_exception_hook() -> None:
    """A bug anywhere in the UI: log the traceback (ids only, never answers), show a calm message
    naming the log file, and keep the window and the form as they are."""

    def hook(exc_type: type[BaseException], exc: BaseException, tb: types.TracebackType | None) -> None:
        from dsvdesk.ui import messages

        if issubclass(exc_type, KeyboardInterrupt):
            sys.__excepthook__(exc_type, exc, tb)
            return
        if isinstance(exc, UserFacingError):
            messages.error(QApplication.activeWindow(), exc.title, exc.message)
            return
        log.ui.error("unexpected error in the UI", exc_info=(exc_type, exc, tb))
        messages.unexpected(QApplication.activeWindow())

    def thread_hook(args: threading.ExceptHookArgs) -> None:
        if args.exc_value is not None:
            log.ui.error(
                "unexpected error in a background thread",
                exc_info=(args.exc_type, args.exc_value, args.exc_traceback),
            )

    sys.excepthook = hook
    threading.excepthook = thread_hook


def ensure_application(argv: Sequence[str] | None = None) -> QApplication:
    existing = QApplication.instance()
    if isinstance(existing, QApplication):
        return existing
    # High-DPI scale factors are not rounded (PassThrough): Qt 6's default, so nothing is set here;
    # naming the policy would build PySide's whole ``Qt`` enum namespace before the sign-in window.
    app = QApplication(list(argv or [sys.argv[0] if sys.argv else "dsvdesk"]))
    app.setApplicationName(APP_NAME)
    app.setApplicationVersion(__version__)
    app.setOrganizationName(APP_NAME)
    return app


def demo_accounts(db_path: Path) -> list[tuple[str, str, str]]:
    """(username, password, role) of the demo accounts recorded by ``dsvdesk demo`` in the database's
    key file (readable before anyone signs in; the database itself is encrypted). A real station has
    none, so ``--demo`` on it shows nothing."""
    from dsvdesk.store import keys

    try:
        keyfile = keys.KeyFile.load(Path(db_path).expanduser().absolute())
    except UserFacingError:
        return []
    if keyfile is None:
        return []
    return [(a.get("username", ""), a.get("password", ""), a.get("role", "")) for a in keyfile.demo_accounts]


class FormsWarmUp:
    """The forms in forms/ compiled in a background thread while the sign-in window waits for the
    password (issue 22: about 0.5 s at sign-in otherwise). ``begin`` starts it (a no-op once taken);
    ``take`` waits for it and returns the forms, raising what compiling raised, or None if it never
    began (the caller then compiles them itself)."""

    def __init__(self) -> None:
        self._thread: threading.Thread | None = None
        self._taken = False
        self._forms: dict[str, Any] | None = None
        self._error: BaseException | None = None

    def begin(self) -> None:
        if self._thread is not None or self._taken:
            return
        self._thread = threading.Thread(target=self._compile, name="forms-warm-up", daemon=True)
        self._thread.start()

    def _compile(self) -> None:
        from dsvdesk.engine.loader import load_forms_dir

        try:
            self._forms = dict(load_forms_dir(paths.forms_dir()))
        except BaseException as exc:  # handed to the UI thread by take(), raised there
            self._error = exc

    @property
    def taken(self) -> bool:
        return self._taken

    def take(self) -> dict[str, Any] | None:
        self._taken = True
        if self._thread is None:
            return None
        self._thread.join()
        if self._error is not None:
            raise self._error
        return self._forms


def load_forms(parent: QWidget | None, warm: FormsWarmUp | None = None) -> dict[str, Any]:
    """The forms in forms/ (those ``warm`` compiled while the password was typed, if it began); a
    broken definition is reported (file:line → fix) but never stops the app: saved records carry their
    own definition."""
    from dsvdesk.engine.errors import FormDefinitionErrors
    from dsvdesk.engine.loader import load_forms_dir
    from dsvdesk.ui import messages

    try:
        forms = warm.take() if warm is not None else None
        return forms if forms is not None else dict(load_forms_dir(paths.forms_dir()))
    except FormDefinitionErrors as exc:
        lines = [str(p) for p in getattr(exc, "problems", ())][:20]
        messages.error(
            parent,
            "A form definition has problems",
            "New forms cannot be started until the form files are fixed; saved forms still open.\n\n"
            + "\n".join(lines),
        )
        return {}
    except OSError as exc:
        messages.error(
            parent,
            "Form files not found",
            f"The form folder {paths.forms_dir()} cannot be read ({exc.strerror}).",
        )
        return {}


def sign_in(gate: Any, *, demo: bool, ui_state: UiState, db_path: Path, after_sign_out: bool = False) -> Any:
    """The first-run dialog on a new station, else the sign-in window. `gate` is a ``StationGate``:
    the record store is imported when it is needed (first run, or the sign-in itself)."""
    if not gate.is_initialised():
        from dsvdesk.ui.dialogs.first_run import FirstRunDialog  # once per station: kept off the usual start

        return FirstRunDialog.ask(None, gate.store(), db_label=str(db_path))
    station = gate.station_name()
    session = LoginDialog.ask(
        None,
        gate,
        station=station,
        demo_accounts=demo_accounts(db_path) if demo else (),
        # after a sign-out the next person at the PC sees an empty form, not the last user's name
        username="" if after_sign_out else ui_state.last_username(),
    )
    return session


def start(
    db_path: Path,
    *,
    demo: bool = False,
    ui_state: UiState | None = None,
    sign_in_fn: Callable[..., Any] | None = None,
    after_sign_out: bool = False,
) -> MainWindow | None:
    """Open the database, sign in and show the main window. Returns the window, or None to quit."""
    ui_state = ui_state or UiState()
    try:
        gate = StationGate.open(db_path, create=True)
    except UserFacingError as exc:
        from dsvdesk.ui import messages  # here and below: imported only when a box is shown

        messages.error(None, exc.title, exc.message)
        return None
    if "dsvdesk.store.convert" in sys.modules:  # imported only when a DSVDesk 0.1 database was converted
        from dsvdesk.store import convert

        notice = convert.take_notice(gate.path)
        if notice:
            from dsvdesk.ui import messages

            messages.info(None, "Database encrypted", notice)
    # The forms are compiled while the password is typed: begun a moment after the sign-in window has
    # painted (so not competing with its first paint, issue 9), from the sign-in window's event loop.
    warm = FormsWarmUp()
    warm_timer = QTimer()
    warm_timer.setSingleShot(True)
    warm_timer.timeout.connect(warm.begin)
    first_paint.after_first_paint(
        lambda: warm_timer.start(_FORMS_WARM_UP_DELAY_MS) if not warm.taken else None
    )
    try:
        session = (sign_in_fn or sign_in)(
            gate, demo=demo, ui_state=ui_state, db_path=db_path, after_sign_out=after_sign_out
        )
    except UserFacingError as exc:
        from dsvdesk.ui import messages

        messages.error(None, exc.title, exc.message)
        gate.close()
        return None
    finally:
        warm_timer.stop()
    if session is None:
        gate.close()
        return None
    store = gate.store()
    store.checkpoint_in_background()  # an autosave never waits for a WAL checkpoint (store/checkpoints.py)
    log.setup_file_logging()  # the sign-in window is gone: attach the log file (start-up is over)
    ui_state.set_last_username(session.user.username)
    set_current_marking(store.get_settings().marking)
    # Only now, with the sign-in window gone, the main window and everything it shows are imported.
    from dsvdesk.ui.context import AppContext
    from dsvdesk.ui.main_window import MainWindow

    forms = load_forms(None, warm) if str(session.user.role) != "admin" else {}
    context = AppContext(
        store=store, session=session, db_path=db_path, forms=forms, ui_state=ui_state, demo=demo
    )
    name_orders = None
    if str(session.user.role) != "admin":  # admins list no records
        from dsvdesk.ui.name_sort import NameOrderWarmUp

        name_orders = context.name_orders = NameOrderWarmUp(
            db_path, session, queue=str(session.user.role) == "supervisor"
        )
    window = MainWindow(context)
    window.show()
    first_paint.watch(window)  # when no sign-in window painted (a test signed in without one)
    if name_orders is not None:
        # the victims' names opened for sorting off the UI thread, once the window has painted
        name_orders.setParent(window)
        QTimer.singleShot(_NAME_ORDER_DELAY_MS, name_orders, name_orders.start)
    notice = getattr(session, "notice", None)
    if notice:  # someone else set this user's password since they last signed in (issue 15)
        from dsvdesk.ui import messages

        messages.info(window, "Your password was reset", notice)
    return window


def end_session(window: MainWindow) -> bool:
    """After the main window has closed: close its store, destroy the window and everything in it (the
    forms, the answers on screen), empty the clipboard. True when the user signed out (the sign-in
    window comes back for the next user), False when they quit."""
    import gc

    from dsvdesk.ui import ops

    signed_out = bool(window.signing_out)
    ops.wait_all()  # a signing or counting job finishes with the window it reports to still there
    QApplication.processEvents()
    window.context.store.close()
    window.hide()
    window.deleteLater()
    QApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
    QApplication.processEvents()
    clipboard = QApplication.clipboard()
    if clipboard is not None:
        clipboard.clear()
    gc.collect()
    return signed_out


def run_sessions(
    db_path: Path,
    *,
    demo: bool = False,
    ui_state: UiState | None = None,
    sign_in_fn: Callable[..., Any] | None = None,
    exec_fn: Callable[[], int] | None = None,
) -> int:
    """Sign-in, the main window until it closes, and again after each sign-out: a shared station PC
    returns to the sign-in window instead of quitting. ``exec_fn`` runs the event loop (tests drive it)."""
    ui_state = ui_state or UiState()
    after_sign_out = False
    while True:
        window = start(
            Path(db_path), demo=demo, ui_state=ui_state, sign_in_fn=sign_in_fn, after_sign_out=after_sign_out
        )
        if window is None:
            return 0
        code = int(exec_fn() if exec_fn is not None else QApplication.exec())
        after_sign_out = end_session(window)
        del window
        if not after_sign_out:
            return code
        log.ui.info("signed out: back to the sign-in window")


def run_app(db_path: Path, demo: bool = False) -> int:
    log.setup_file_logging(defer=True)  # the file (logging.handlers) is attached after sign-in
    app = ensure_application()
    apply_look(app, defer_fallbacks=True)
    install_exception_hook()
    code = run_sessions(Path(db_path), demo=demo, exec_fn=app.exec)
    log.ui.info("DSVDesk closed")
    log.setup_file_logging()  # no-op after a sign-in; else writes what was logged before quitting
    return int(code)
