"""Publishing: the deliverables a reader uses change only when a whole run succeeds.

Every job writes into the work area, ``results/.work/<study>/``. The last job, ``publish``,
copies the complete set into a fresh directory, ``results/.published/<study>/a`` (or ``b``,
whichever is not in use), then points the symbolic link ``results/<study>`` at it with one
rename: a reader sees the old set or the new one, never a mix, and a run that fails or is
killed before that rename leaves the published set as it was.

``prepare`` runs before any job. When no other run is using the directory it removes what an
interrupted run left behind (Snakemake's lock, temporary files, a half-copied set), and it has
the set published again when a published file was changed or removed since it was published.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import shutil
from pathlib import Path

from .atomic import TMP_SUFFIX, write_atomically, write_text
from .errors import cannot, reason

WORK = ".work"
STORE = ".published"
SLOTS = ("a", "b")
SUMS = "SHA256SUMS"
MANIFEST = "published.sha256"
RUN_LOCK = "SURVEYREPORT_RUN_LOCK"  # the environment variable naming the run lock for the jobs

_held: dict[str, int] = {}  # absolute path -> the open run lock this process holds while it lives


def sha256(path: str | Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def sums(folder: Path, names: list[str]) -> str:
    """``sha256sum`` lines for ``names`` in ``folder``: ``sha256sum -c`` checks them."""
    return "".join(f"{sha256(folder / name)}  {name}\n" for name in sorted(names))


def publish(work: str | Path, names: list[str], published: str | Path, manifest: str | Path) -> None:
    """Publish the files ``names`` (relative to ``work``) as the directory ``published``, all at once.

    ``manifest`` (the job's output) gets the SHA-256 of each published file, as does
    ``SHA256SUMS`` in the published directory.
    """
    work, published = Path(work), Path(published)
    store = published.parent / STORE / published.name
    slot = SLOTS[1] if _slot(published) == SLOTS[0] else SLOTS[0]
    target = store / slot
    try:
        if target.exists():  # what a run killed while publishing had copied
            shutil.rmtree(target)
    except OSError as error:
        raise cannot("write", target, error) from None
    try:
        for name in names:
            write_atomically(target / name, lambda tmp, name=name: shutil.copyfile(work / name, tmp))
        text = sums(target, names)
        write_text(target / SUMS, text)
    except BaseException:
        shutil.rmtree(target, ignore_errors=True)
        raise
    try:
        _point(published, f"{STORE}/{published.name}/{slot}")
    except OSError as error:
        raise cannot("publish", published, error) from None
    for old in store.iterdir():
        if old.name != slot:
            shutil.rmtree(old, ignore_errors=True)
    write_text(manifest, text)


def _slot(published: Path) -> str | None:
    """The slot the published link points to (None: no link yet)."""
    return Path(os.readlink(published)).name if published.is_symlink() else None


def _point(link: Path, target: str) -> None:
    """Make ``link`` a symbolic link to ``target`` by one rename; a directory of the old layout is moved aside first."""
    store = link.parent / STORE
    tmp = store / f".{link.name}.link{TMP_SUFFIX}"
    tmp.unlink(missing_ok=True)
    os.symlink(target, tmp)
    if link.is_dir() and not link.is_symlink():
        aside = store / link.name / "earlier-layout"
        shutil.rmtree(aside, ignore_errors=True)
        os.rename(link, aside)  # removed with the other slots once the link is in place
    os.replace(tmp, link)


def prepare(results: str | Path, study: str, snakemake_dir: str | Path) -> list[str]:
    """Before any job runs: clean up after an interrupted run and check the published set.

    Every run, and every job it starts (``share_run_lock``), holds a shared lock on
    ``results/.work/.lock`` while it lives (the kernel drops it when the process dies, even by
    ``kill -9``); a run that can take it exclusively knows no other run or job is using the
    directory, so Snakemake's lock (in ``snakemake_dir``, ``.snakemake/``) and any temporary
    file in ``results/`` are left over from one that was interrupted, and it removes them. Returns a line for each thing done.
    """
    results = Path(results)
    notes = []
    if _alone(results):
        notes += _remove_leftovers(results, Path(snakemake_dir))
        fcntl.flock(_held[os.path.abspath(results / WORK / ".lock")], fcntl.LOCK_SH)
    elif any(Path(snakemake_dir).glob("locks/*.lock")):
        notes.append("another run, or a job of an interrupted one, is still going here: its lock stays until it ends")
    os.environ[RUN_LOCK] = os.path.abspath(results / WORK / ".lock")
    notes += _check_published(results, study)
    return notes


def share_run_lock() -> None:
    """Hold the run lock (shared) while this job lives, where the run named it.

    A job goes on when only Snakemake is killed; while it does, the next run does not take
    its files for leftovers (and Snakemake's lock refuses that run).
    """
    path = os.environ.get(RUN_LOCK)
    if not path or path in _held:
        return
    try:
        handle = os.open(path, os.O_RDONLY)
        fcntl.flock(handle, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except OSError:
        return  # e.g. a cluster node whose file system has no locks: the job runs all the same
    _held[path] = handle


def _alone(results: Path) -> bool:
    """Take the run lock: exclusively if no other run holds it (True), else shared."""
    path = results / WORK / ".lock"
    key = os.path.abspath(path)
    if key not in _held:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            _held[key] = os.open(path, os.O_RDWR | os.O_CREAT, 0o666)
        except OSError as error:
            raise cannot("write", path, error) from None
    try:
        fcntl.flock(_held[key], fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        fcntl.flock(_held[key], fcntl.LOCK_SH)
        return False
    return True


def _remove_leftovers(results: Path, snakemake_dir: Path) -> list[str]:
    locks = sorted(snakemake_dir.glob("locks/*.lock"))
    temporary = [p for p in results.rglob(f"*{TMP_SUFFIX}") if p.is_symlink() or p.is_file()]
    unpublished = [
        copy
        for study in (sorted((results / STORE).iterdir()) if (results / STORE).is_dir() else [])
        for copy in sorted(study.iterdir())
        if copy.name != _slot(results / study.name)
    ]
    failures = {path: note for path in locks + temporary + unpublished if (note := _remove(path))}
    locks, temporary, unpublished = ([p for p in paths if p not in failures] for paths in (locks, temporary, unpublished))
    notes = []
    if locks:
        notes.append("removed the lock an interrupted run left (no other run is using this directory)")
    if temporary:
        notes.append(f"removed {len(temporary)} temporary file(s) an interrupted run left")
    if unpublished:
        notes.append(f"removed {', '.join(map(str, unpublished))}: copied by an interrupted run, never published")
    return notes + list(failures.values())


def _remove(path: Path) -> str | None:
    """Remove a file or a directory tree; why it could not be removed, or None."""
    try:
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path)
        else:
            path.unlink()
    except OSError as error:
        return f"could not remove {path}: {reason(error)}"
    return None


def _check_published(results: Path, study: str) -> list[str]:
    """Remove the publish job's manifest when the published set differs from it, so that the job runs again."""
    manifest = results / WORK / study / MANIFEST
    if not manifest.is_file():
        return []
    changed = _first_change(results / study, manifest.read_text(encoding="utf-8"), manifest.stat().st_mtime_ns)
    if changed is None:
        return []
    manifest.unlink()
    return [f"{changed} was changed or removed since it was published: publishing the set again"]


def _first_change(published: Path, text: str, since: int) -> str | None:
    """The first published file missing, or modified after ``since`` and no longer as ``text`` records it."""
    try:
        if (published / SUMS).read_text(encoding="utf-8") != text:
            return str(published / SUMS)
        for line in text.splitlines():
            digest, name = line.split("  ", 1)
            path = published / name
            if path.stat().st_mtime_ns > since and sha256(path) != digest:
                return str(path)
    except OSError as error:
        return error.filename or str(published)
    return None
