"""Output folders that are never half written, and never written by two processes at once.

:func:`staged_folder` is how ``nplearn train`` writes a run folder: every file goes into a
hidden folder beside it (``.NAME.new-*``), which is then swapped in by renames, so the folder
holds either the previous run or the new one, whole. :func:`locked` is how ``nplearn sweep``
keeps its output folder to itself: a lock file naming the host and process; a lock left by a
process that no longer runs on this host is stale and taken over.
"""
import contextlib
import json
import os
import secrets
import shutil
import signal
import socket
import sys
import tempfile
import threading
import time
from datetime import datetime
from pathlib import Path

#: name prefixes of the files a run folder of ``nplearn train`` may hold (``generate`` adds
#: ``generated.*``); a folder holding anything else is not replaced
RUN_FILES = ("history.", "model", "learning_curve.", "generated.")
LOCK_NAME = "sweep.lock"
_UNREADABLE_LOCK_AGE = 10.0     # seconds before a lock file that cannot be read counts as stale


class FolderLocked(OSError):
    """Another live process holds the folder's lock."""


def check_folder_path(out, flag="--out"):
    """``out`` with symlinks resolved, if it is or can be made a folder; else ``ValueError``.

    Refuses an existing file, and a path under one, naming it, before any work is done.
    """
    out = Path(out)
    target = Path(os.path.realpath(out))    # a symlink's folder is used, not the link
    if target.exists() and not target.is_dir():
        raise ValueError(f"{flag} {out} is a file, not a folder; give a folder path")
    ancestor = target.parent
    while not ancestor.exists():
        ancestor = ancestor.parent
    if not ancestor.is_dir():
        raise ValueError(f"{flag} {out}: {ancestor} is a file, so no folder can be made under it")
    return target


def check_out_folder(out, flag="--out"):
    """Why a run cannot be written to ``out``, as a ``ValueError`` naming the path; else None.

    ``out`` may be missing (it is made), an empty folder, or a folder of a previous run
    (only files named as in :data:`RUN_FILES`), which is replaced.
    """
    target = check_folder_path(out, flag)
    if target.is_dir():
        foreign = sorted(p.name for p in target.iterdir()
                         if not (p.is_file() and p.name.startswith(RUN_FILES)))
        if foreign:
            shown = ", ".join(foreign[:5]) + (", ..." if len(foreign) > 5 else "")
            raise ValueError(f"{flag} {out} holds files that `nplearn train` did not write "
                             f"({shown}); a run replaces its folder whole, so give a new or an "
                             "empty folder")
    return target


@contextlib.contextmanager
def staged_folder(out, flag="--out"):
    """Yield an empty hidden folder beside ``out``; on success swap it in as ``out``.

    Checked first (:func:`check_out_folder`), and the hidden folder is made at once, so a
    folder that cannot be written is refused before any work. What ``out`` holds if the
    process stops:

    - before or during the writing (an exception, Ctrl-C): the previous run (or nothing);
      the hidden folder is removed;
    - at the swap: ``os.rename(new, out)`` if ``out`` does not exist, else
      ``os.rename(out, old)`` then ``os.rename(new, out)`` with SIGINT, SIGTERM and SIGHUP
      held until both are done, and the old run put back if the second rename fails;
    - after the swap: the new run; the old one, renamed aside, is deleted.

    Only a SIGKILL or a power loss can leave hidden folders beside ``out``: ``.NAME.new-*``
    (an unfinished run) or ``.NAME.old-*``, the previous run, complete; between the two
    renames of a swap ``out`` is then missing and ``.NAME.old-*`` is the previous run.

    Raises
    ------
    ValueError
        ``out`` cannot be written (names the path and why).
    """
    target = check_out_folder(out, flag)
    made = []                                  # folders made here, removed if nothing is kept
    for parent in reversed([target.parent, *target.parent.parents]):
        if not parent.exists():
            try:
                parent.mkdir()
            except OSError as err:
                _remove_empty(made)
                raise ValueError(f"{flag} {out}: cannot make folder {parent} ({err.strerror})") \
                    from None
            made.append(parent)
    stage = target.parent / f".{target.name}.new-{os.getpid()}-{secrets.token_hex(4)}"
    try:
        stage.mkdir()                           # the usual permissions (mkdtemp's are 0700)
    except OSError as err:
        _remove_empty(made)
        raise ValueError(f"{flag} {out}: cannot write in {target.parent} ({err.strerror})") \
            from None
    try:
        yield stage
        _swap(stage, target)
    except BaseException:
        shutil.rmtree(stage, ignore_errors=True)
        _remove_empty(made)
        raise


def leftovers(out):
    """Hidden folders a killed :func:`staged_folder` left beside ``out`` (see there)."""
    target = Path(os.path.realpath(out))
    if not target.parent.is_dir():
        return []
    return sorted(p for p in target.parent.iterdir() if p.is_dir() and (
        p.name.startswith((f".{target.name}.new-", f".{target.name}.old-"))))


@contextlib.contextmanager
def locked(folder):
    """Hold ``folder/sweep.lock`` (host, pid, start time) while the block runs.

    The lock file is made whole in one step (a hard link of a written file), so it is never
    seen half written. A lock of this host whose process has ended is stale: it is renamed
    aside, checked to still be that same lock, and taken over.

    Raises
    ------
    FolderLocked
        A live process holds the lock, or a process of another host (which cannot be
        checked from here); the message names it and says how to proceed.
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    lock = folder / LOCK_NAME
    mine = {"pid": os.getpid(), "host": socket.gethostname(), "token": secrets.token_hex(8),
            "started": datetime.now().astimezone().isoformat(timespec="seconds")}
    for _ in range(5):                          # another process may take or free it meanwhile
        if _create(lock, mine):
            break
        holder = _read(lock)
        if holder is None and not lock.exists():
            continue                            # freed since we tried
        if not _stale(lock, holder):
            raise FolderLocked(_held_message(folder, lock, holder))
        who = "cannot be read" if holder is None else f"is of pid {holder['pid']}, which ended"
        print(f"{lock} {who}: a stale lock, taken over", file=sys.stderr)
        _break(lock, holder)
    else:
        raise FolderLocked(f"{folder}: could not take {lock}; other processes keep taking it")
    try:
        yield lock
    finally:
        if (_read(lock) or {}).get("token") == mine["token"]:
            lock.unlink()


def _swap(stage, target):
    if not target.exists():
        os.rename(stage, target)                # atomic: no folder, or the whole new one
        return
    old = target.parent / f".{target.name}.old-{os.getpid()}-{secrets.token_hex(4)}"
    swapped = False
    try:
        with _signals_held():                   # a signal held here arrives as the block ends
            os.rename(target, old)
            try:
                os.rename(stage, target)
            except BaseException:
                os.rename(old, target)          # the previous run back in place
                raise
            swapped = True
    finally:
        if swapped:                             # never before: old may be the only copy
            shutil.rmtree(old, ignore_errors=True)


@contextlib.contextmanager
def _signals_held():
    """Run the block with SIGINT, SIGTERM, SIGHUP recorded, then deliver the first one."""
    names = [n for n in ("SIGINT", "SIGTERM", "SIGHUP") if hasattr(signal, n)]
    if threading.current_thread() is not threading.main_thread():
        yield                                   # only the main thread may set handlers
        return
    got, before = [], {}
    for s in (getattr(signal, n) for n in names):
        if signal.getsignal(s) is not None:     # None: set outside Python, cannot be restored
            before[s] = signal.signal(s, lambda signum, frame: got.append(signum))
    try:
        yield
    finally:
        for s, handler in before.items():
            signal.signal(s, handler)
        if got:
            signal.raise_signal(got[0])


def _remove_empty(folders):
    for f in reversed(folders):
        with contextlib.suppress(OSError):
            f.rmdir()


def _create(lock, content):
    """Make ``lock`` holding ``content``; False if it exists."""
    fd, tmp = tempfile.mkstemp(dir=lock.parent, prefix=f".{lock.name}.")
    try:
        with os.fdopen(fd, "w") as fh:
            json.dump(content, fh)
        try:
            os.link(tmp, lock)                  # fails if lock exists; the file is whole
        except FileExistsError:
            return False
        except OSError:                         # no hard links here: exclusive create instead
            try:
                with open(lock, "x") as fh:
                    json.dump(content, fh)
            except FileExistsError:
                return False
        return True
    finally:
        os.unlink(tmp)


def _read(lock):
    try:
        holder = json.loads(lock.read_text())
    except (OSError, ValueError):
        return None
    return holder if isinstance(holder, dict) else None


def _stale(lock, holder):
    if holder is None:      # unreadable: stale once old enough not to be mid-write
        try:
            return time.time() - lock.stat().st_mtime > _UNREADABLE_LOCK_AGE
        except OSError:
            return False
    if holder.get("host") != socket.gethostname() or not isinstance(holder.get("pid"), int):
        return False
    return not _alive(holder["pid"])


def _alive(pid):
    if os.name == "nt":     # os.kill(pid, 0) would send Ctrl-C there; assume it runs
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # it exists, owned by another user
        return True
    return True


def _break(lock, holder):
    """Remove the stale ``lock`` read as ``holder``, unless it was replaced meanwhile."""
    aside = lock.with_name(f".{lock.name}.stale-{os.getpid()}-{secrets.token_hex(4)}")
    try:
        os.rename(lock, aside)
    except FileNotFoundError:
        return
    if _read(aside) != holder:                  # a new, live lock: put it back
        with contextlib.suppress(OSError):
            os.link(aside, lock)
    aside.unlink()


def _held_message(folder, lock, holder):
    who = ("a process whose lock cannot be read" if holder is None else
           f"pid {holder.get('pid')} on {holder.get('host')} since {holder.get('started')}")
    return (f"{folder} is in use by another sweep ({lock}: {who}). Wait for that sweep to end, "
            f"or give this one another folder (--out DIR); if no sweep runs there any more "
            f"(it was stopped on another machine), delete {lock}")
