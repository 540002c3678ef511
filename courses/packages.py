"""Course packages: read a folder or a zip, check every file, and describe the course.

Pure with respect to the database: turns bytes into a `CourseSpec` or a list of problems
(file, line, reason). Rendering happens here too, so a broken reference is a problem at import.
"""

from __future__ import annotations

import errno
import io
import lzma
import os
import posixpath
import re
import stat
import tomllib
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

import yaml

from learning.markdown import (
    fit_under_title,
    markdown_problem,
    markdown_to_html,
    sanitize_html,
)

SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
LANGUAGES = ("vi", "en", "ko")
COMPLETION_RULES = ("all_lessons", "all_lessons_and_quizzes")
MEDIA_TYPES = {
    ".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".gif": "image/gif",
    ".webp": "image/webp", ".svg": "image/svg+xml",
    ".mp3": "audio/mpeg", ".ogg": "audio/ogg", ".oga": "audio/ogg", ".m4a": "audio/mp4",
    ".wav": "audio/wav",
    ".mp4": "video/mp4", ".webm": "video/webm", ".ogv": "video/ogg",
    ".vtt": "text/vtt", ".pdf": "application/pdf",
    ".md": "text/markdown; charset=utf-8", ".toml": "application/toml",
    ".gift": "text/plain; charset=utf-8", ".txt": "text/plain; charset=utf-8",
    ".html": "text/html; charset=utf-8",
}
# A package's sources, never served as its files (and so never a lesson's link or image).
SOURCE_SUFFIXES = (".md", ".toml", ".gift", ".html")
FRONT_MATTER = re.compile(r"\A---[ \t]*\r?\n(.*?)^---[ \t]*\r?\n?", re.S | re.M)
MAX_FILES = 5000
# Longest text the database keeps for each field (courses/models.py), and for a topic.
MAX_LENGTHS = {"slug": 80, "title": 300, "version": 40, "family": 80, "summary": 2000,
               "topic": 100, "path": 500}
# Control characters: C0, DEL and C1, line and paragraph separators, and the bidirectional
# overrides and isolates that make a title read differently from what it holds. A version goes
# into HTTP headers and certificates, so none of these belongs in a one-line field.
CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")
CONTROL_IN_TEXT = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u2028\u2029"
                             "\u202a-\u202e\u2066-\u2069]")  # a summary may break lines
ZIP_METHODS = frozenset({zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED, zipfile.ZIP_BZIP2,
                         zipfile.ZIP_LZMA})


@dataclass
class Problem:
    """One thing wrong with a package."""

    file: str
    line: int | None
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        return f"{where}: {self.message}"


class PackageError(Exception):
    """The package is refused; `problems` lists every reason."""

    def __init__(self, problems: list[Problem]):
        super().__init__("\n".join(str(p) for p in problems))
        self.problems = problems


@dataclass
class LessonSpec:
    slug: str
    title: str
    estimated_minutes: int
    source_path: str
    markdown: str
    html: str = ""
    links: list[str] = field(default_factory=list)


@dataclass
class ModuleSpec:
    slug: str
    title: str
    summary: str
    folder: str
    lessons: list[LessonSpec] = field(default_factory=list)


@dataclass
class CourseSpec:
    slug: str
    title: str
    summary: str
    language: str
    version: str
    estimated_minutes: int
    topics: list[str]
    family: str | None
    completion_rule: str
    modules: list[ModuleSpec]
    files: dict[str, bytes]
    extra: dict = field(default_factory=dict)  # course.toml tables for other features (quizzes)
    certificate_validity_months: int | None = None
    requires_tasks: bool = False  # [completion] tasks = "required"

    @property
    def lessons(self) -> list[LessonSpec]:
        return [lesson for module in self.modules for lesson in module.lessons]


# --- reading ---------------------------------------------------------------------------------

def _ignored(path: str) -> bool:
    return any(part.startswith((".", "_")) for part in PurePosixPath(path).parts)


def printable(text: str) -> str:
    """Return `text` with control characters shown as escapes (for problem reports)."""
    return CONTROL.sub(lambda match: f"\\u{ord(match.group()):04x}", text)


LINK = ("is a symbolic link: a package must hold its files themselves (a link could publish a "
        "file of the server)")


def read_directory(root: Path) -> dict[str, bytes]:
    """Read every package file below `root` (paths relative, '/'-separated).

    Refuses symbolic links (to files or folders, inside the package or not) and anything that is
    not a plain file or folder, naming each: `key.png -> instance/signing-key.pem` would publish
    the server's key. Without links, no path can lead outside the package. Folders and files are
    opened relative to their parent's descriptor and never through a link, so swapping a file
    for a link during the import does not help either. `root` itself may be reached through a
    link (a deployment's `current -> releases/...`): the admin names it on the command line.
    """
    try:
        top = os.open(root, os.O_RDONLY | os.O_DIRECTORY)
    except OSError as error:
        raise PackageError([Problem(str(root), None, f"cannot be read as a package folder "
                                                     f"({error.strerror})")]) from None
    files: dict[str, bytes] = {}
    problems: list[Problem] = []
    try:
        _read_folder(top, "", files, problems)
    finally:
        os.close(top)
    if problems:
        raise PackageError(problems)
    return files


def _read_folder(folder: int, prefix: str, files: dict[str, bytes],
                 problems: list[Problem]) -> None:
    with os.scandir(folder) as entries:
        names = sorted(entry.name for entry in entries)
    for name in names:
        relative = prefix + name
        if _ignored(relative):
            continue
        shown = printable(relative)
        try:
            mode = os.stat(name, dir_fd=folder, follow_symlinks=False).st_mode
            if stat.S_ISLNK(mode):
                problems.append(Problem(shown, None, LINK))
            elif stat.S_ISDIR(mode):
                inner = os.open(name, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW,
                                dir_fd=folder)
                try:
                    _read_folder(inner, relative + "/", files, problems)
                finally:
                    os.close(inner)
            elif stat.S_ISREG(mode):
                handle = os.open(name, os.O_RDONLY | os.O_NOFOLLOW, dir_fd=folder)
                with os.fdopen(handle, "rb") as stream:
                    files[relative] = stream.read()
            else:
                problems.append(Problem(shown, None, "is not a plain file (a device, pipe or "
                                                     "socket)"))
        except OSError as error:  # ELOOP: it became a link after it was looked at
            problems.append(Problem(shown, None, LINK if error.errno == errno.ELOOP
                                    else f"cannot be read ({error.strerror})"))


def read_zip(data: bytes, max_bytes: int) -> dict[str, bytes]:
    """Read a zipped package; a single top folder is stripped.

    Refuses, naming the entry, whatever a sound package never holds: unsafe or repeated paths,
    symbolic links, encrypted entries, compression methods other than stored, deflate, bzip2 and
    lzma, and damaged data (a bad checksum, or an entry larger or smaller than it declares). The
    declared sizes are added up before anything is unpacked, and each entry is read through a
    stream that stops at its declared size, so a zip bomb costs at most `max_bytes`.
    """
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        infos = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, OSError, ValueError,
            NotImplementedError, OverflowError):
        raise PackageError([Problem("(zip)", None, "not a zip archive (or a damaged "
                                                   "one)")]) from None
    problems: list[Problem] = []
    files: dict[str, bytes] = {}
    seen: set[str] = set()
    total = 0
    if sum(1 for info in infos if not info.is_dir()) > MAX_FILES:
        raise PackageError([Problem("(zip)", None, f"more than {MAX_FILES} files")])
    for info in infos:
        name = info.filename.replace("\\", "/")
        shown = printable(name)
        normal = posixpath.normpath(name)
        if normal.startswith(("/", "../")) or normal == ".." or ":" in normal.split("/")[0]:
            problems.append(Problem(shown, None, "unsafe path in the archive"))
            continue
        if _ignored(normal) or "__MACOSX" in normal:
            continue
        if stat.S_ISLNK(info.external_attr >> 16):
            problems.append(Problem(shown, None, LINK))
            continue
        if info.is_dir():
            continue
        if normal in seen:
            problems.append(Problem(shown, None, "is in the archive twice"))
            continue
        seen.add(normal)
        if info.flag_bits & 0x1:
            problems.append(Problem(shown, None, "is encrypted: zip the package without a "
                                                 "password"))
            continue
        if info.compress_type not in ZIP_METHODS:
            problems.append(Problem(shown, None, f"uses compression method "
                                                 f"{info.compress_type}, which cannot be read "
                                                 "here: zip the package with ordinary (deflate) "
                                                 "compression"))
            continue
        total += info.file_size
        if total > max_bytes:
            raise PackageError([Problem("(zip)", None, "the unpacked package is too large")])
        problem = None
        try:
            with archive.open(info) as stream:
                # zipfile stops at the declared size and then checks the CRC; asking for one
                # byte more never unpacks more than the entry claims.
                content = stream.read(info.file_size + 1)
            if len(content) != info.file_size:
                problem = "is damaged: its size differs from what the archive declares"
        except zipfile.BadZipFile as error:
            problem = ("is damaged: its content does not match its checksum (or its declared "
                       "size)" if "CRC" in str(error) else f"is damaged ({error})")
        except EOFError:
            problem = "is damaged: it ends before its declared size"
        except (zlib.error, lzma.LZMAError, OSError, ValueError):
            problem = "is damaged: its compressed data cannot be unpacked"
        except (NotImplementedError, RuntimeError) as error:
            problem = f"cannot be read here ({error})"
        if problem:
            problems.append(Problem(shown, None, problem))
        else:
            files[normal] = content
    if problems:
        raise PackageError(problems)
    tops = {path.split("/", 1)[0] for path in files}
    if len(tops) == 1 and all("/" in path for path in files):
        prefix = tops.pop() + "/"
        files = {path[len(prefix):]: data for path, data in files.items()}
    return files


def write_zip(files: dict[str, bytes], top: str) -> bytes:
    """Zip package files under one top folder (what `read_zip` reads back)."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(files):
            archive.writestr(f"{top}/{path}", files[path])
    return out.getvalue()


# --- checking --------------------------------------------------------------------------------

def _toml(path: str, data: bytes, problems: list[Problem]) -> dict | None:
    try:
        return tomllib.loads(data.decode("utf-8"))
    except UnicodeDecodeError:
        problems.append(Problem(path, None, "not UTF-8 text"))
    except tomllib.TOMLDecodeError as error:
        match = re.search(r"line (\d+)", str(error))
        problems.append(Problem(path, int(match.group(1)) if match else None,
                                f"invalid TOML: {error}"))
    return None


def _key_lines(data: bytes) -> dict[str, int]:
    """Map each `key = ...` of a TOML file to its line (for problems about a value)."""
    lines = {}
    for number, text in enumerate(data.decode("utf-8", "replace").splitlines(), start=1):
        match = re.match(r"\s*\[?\s*([A-Za-z0-9_-]+)\s*[=\]]", text)
        if match:
            lines.setdefault(match.group(1), number)
    return lines


def _line_of(text: str, needle: str) -> int | None:
    index = text.find(needle)
    return text.count("\n", 0, index) + 1 if index >= 0 else None


def _text_problem(key: str, text: str, multiline: bool = False,
                  limit_key: str | None = None) -> str | None:
    """Say what is wrong with a text field's value: a control character or its length."""
    control = (CONTROL_IN_TEXT if multiline else CONTROL).search(text)
    if control:
        return (f"“{key}” holds a control character (U+{ord(control.group()):04X}, at "
                f"character {control.start() + 1}): write it on one line, in plain text")
    limit = MAX_LENGTHS.get(limit_key or key)
    if limit and len(text.strip()) > limit:
        return f"“{key}” is longer than {limit} characters"
    return None


def _text_field(data: dict, key: str, path: str, problems, required=True, line=None,
                multiline=False) -> str:
    value = data.get(key)
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            problems.append(Problem(path, line, f"“{key}” is required"))
        return ""
    if not isinstance(value, (str, int, float)) or isinstance(value, bool):
        problems.append(Problem(path, line, f"“{key}” must be text"))
        return ""
    problem = _text_problem(key, str(value), multiline)
    if problem:
        problems.append(Problem(path, line, problem))
        return ""
    return str(value).strip()


def _minutes(data: dict, key: str, path: str, problems, default: int, line=None) -> int:
    value = data.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 100_000:
        problems.append(Problem(path, line, f"“{key}” must be a whole number of minutes"))
        return default
    return value


def _slug(data: dict, path: str, problems, line=None) -> str:
    slug = _text_field(data, "slug", path, problems, line=line)
    if slug and not SLUG.fullmatch(slug):
        problems.append(Problem(path, line, f"slug “{slug}” may use only a-z, 0-9 and single "
                                            "hyphens"))
    return slug


def _parse_lesson(path: str, data: bytes, problems: list[Problem]) -> LessonSpec | None:
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        problems.append(Problem(path, None, "not UTF-8 text"))
        return None
    text = text.lstrip("\ufeff")
    match = FRONT_MATTER.match(text)
    if not match:
        problems.append(Problem(path, 1, "front matter missing: start the file with a '---' "
                                         "block holding slug and title"))
        return None
    try:
        meta = yaml.safe_load(match.group(1)) or {}
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        problems.append(Problem(path, mark.line + 2 if mark else 1,
                                f"invalid front matter: {getattr(error, 'problem', error)}"))
        return None
    if not isinstance(meta, dict):
        problems.append(Problem(path, 2, "front matter must be 'key: value' lines"))
        return None
    before = len(problems)
    slug = _slug(meta, path, problems, line=_line_of(text, "slug") or 2)
    title = _text_field(meta, "title", path, problems, line=_line_of(text, "title") or 2)
    minutes = _minutes(meta, "estimated_minutes", path, problems, 5,
                       line=_line_of(text, "estimated_minutes"))
    if len(problems) > before:
        return None
    return LessonSpec(slug=slug, title=title, estimated_minutes=minutes, source_path=path,
                      markdown=text[match.end():])


def render_lesson_html(
    markdown: str,
    source_path: str,
    file_paths: set[str] | dict,
    lesson_slug_by_path: dict[str, str],
    missing: list[str] | None = None,
    title: str = "",
) -> str:
    """Render a lesson; relative links become URLs relative to the lesson page, and headings
    fit under the page's own title."""
    folder = posixpath.dirname(source_path)

    def resolve(tag, attribute, value):
        target, _, anchor = value.partition("#")
        target = target.split("?", 1)[0]
        resolved = posixpath.normpath(posixpath.join(folder, target)) if target else ""
        if tag == "a" and resolved in lesson_slug_by_path:
            return f"../lessons/{lesson_slug_by_path[resolved]}" + (f"#{anchor}" if anchor else "")
        if (resolved and resolved in file_paths
                and not resolved.lower().endswith(SOURCE_SUFFIXES)):
            return f"../files/{resolved}"
        if missing is not None:
            missing.append(value)
        return None

    return fit_under_title(sanitize_html(markdown_to_html(markdown), resolve), title)


def _check_references(spec: CourseSpec, problems: list[Problem]) -> None:
    """Render every lesson; relative references must name files or lessons of the package."""
    slugs = {lesson.source_path: lesson.slug for lesson in spec.lessons}
    for lesson in spec.lessons:
        missing: list[str] = []
        lesson.html = render_lesson_html(lesson.markdown, lesson.source_path, spec.files, slugs,
                                         missing, title=lesson.title)
        offset = _front_lines(spec, lesson)
        slow = markdown_problem(lesson.markdown)
        if slow:
            problems.append(Problem(lesson.source_path, None, slow))
        for value in missing:
            line = _line_of(lesson.markdown, value)
            problems.append(Problem(lesson.source_path, line + offset if line else None,
                                    f"“{value}” is not a file or lesson of this package"))


def _front_lines(spec: CourseSpec, lesson: LessonSpec) -> int:
    raw = spec.files[lesson.source_path].decode("utf-8", "replace").lstrip("\ufeff")
    return raw[: len(raw) - len(lesson.markdown)].count("\n")


def parse_package(files: dict[str, bytes]) -> CourseSpec:
    """Check a package's files and return its description, or raise PackageError."""
    problems: list[Problem] = []
    if "course.toml" not in files:
        raise PackageError([Problem("course.toml", None, "missing: every package needs one at "
                                                         "its top level")])
    meta = _toml("course.toml", files["course.toml"], problems)
    # A file that is not TOML has one problem, its syntax, not one per field we could not read.
    meta_problems = problems if meta is not None else []
    meta = meta or {}
    line = _key_lines(files["course.toml"])
    slug = _slug(meta, "course.toml", meta_problems, line=line.get("slug"))
    title = _text_field(meta, "title", "course.toml", meta_problems, line=line.get("title"))
    language = _text_field(meta, "language", "course.toml", meta_problems,
                           line=line.get("language"))
    if language and language not in LANGUAGES:
        problems.append(Problem("course.toml", line.get("language"), f"language must be one of "
                                                                     f"{', '.join(LANGUAGES)}"))
    version = _text_field(meta, "version", "course.toml", meta_problems, line=line.get("version"))
    topics = meta.get("topics", [])
    if not isinstance(topics, list) or not all(isinstance(t, str) for t in topics):
        problems.append(Problem("course.toml", line.get("topics"),
                                "topics must be a list of texts"))
        topics = []
    for topic in topics:
        problem = _text_problem("topics", topic, limit_key="topic")
        if problem:
            problems.append(Problem("course.toml", line.get("topics"), problem))
            topics = []
            break
    completion = meta.get("completion", {})
    rule = completion.get("rule", "all_lessons") if isinstance(completion, dict) else None
    if rule not in COMPLETION_RULES:
        problems.append(Problem("course.toml", line.get("rule") or line.get("completion"),
                                f"completion.rule must be one of {', '.join(COMPLETION_RULES)}"))
        rule = "all_lessons"
    tasks_rule = completion.get("tasks", "optional") if isinstance(completion, dict) else None
    if tasks_rule not in ("optional", "required"):
        problems.append(Problem("course.toml", line.get("tasks") or line.get("completion"),
                                "completion.tasks must be \"required\" or \"optional\""))
        tasks_rule = "optional"
    family = _text_field(meta, "family", "course.toml", problems, required=False,
                         line=line.get("family")) or None

    for path in files:
        suffix = PurePosixPath(path).suffix.lower()
        if suffix not in MEDIA_TYPES:
            problems.append(Problem(printable(path), None,
                                    f"file type “{printable(suffix or path)}” is not allowed"))
        if CONTROL.search(path):
            problems.append(Problem(printable(path), None, "the file name holds a control "
                                                           "character"))
        elif len(path) > MAX_LENGTHS["path"]:
            problems.append(Problem(path, None, f"the path is longer than "
                                                f"{MAX_LENGTHS['path']} characters"))
        else:
            try:
                path.encode("utf-8")
            except UnicodeEncodeError:  # a folder name in another encoding than UTF-8
                problems.append(Problem(path.encode("utf-8", "replace").decode(), None,
                                        "the file name is not UTF-8"))

    module_dirs = sorted({path.split("/", 1)[0] for path in files if "/" in path})
    modules: list[ModuleSpec] = []
    seen_modules: dict[str, str] = {}
    seen_lessons: dict[str, str] = {}
    for folder in module_dirs:
        module_toml = f"{folder}/module.toml"
        if module_toml not in files:
            problems.append(Problem(module_toml, None, "missing: every module folder needs one"))
            continue
        module_meta = _toml(module_toml, files[module_toml], problems)
        module_problems = problems if module_meta is not None else []
        module_meta = module_meta or {}
        module_line = _key_lines(files[module_toml])
        module_slug = _slug(module_meta, module_toml, module_problems,
                            line=module_line.get("slug"))
        module_title = _text_field(module_meta, "title", module_toml, module_problems,
                                   line=module_line.get("title"))
        if module_slug in seen_modules:
            problems.append(Problem(module_toml, module_line.get("slug"),
                                    f"module slug “{module_slug}” is also used by "
                                    f"{seen_modules[module_slug]}"))
        seen_modules.setdefault(module_slug, module_toml)
        module = ModuleSpec(slug=module_slug, title=module_title,
                            summary=_text_field(module_meta, "summary", module_toml, problems,
                                                required=False, multiline=True,
                                                line=module_line.get("summary")),
                            folder=folder)
        for path in sorted(p for p in files if p.startswith(folder + "/")
                           and p.count("/") == 1 and p.lower().endswith(".md")):
            lesson = _parse_lesson(path, files[path], problems)
            if lesson is None:
                continue
            if lesson.slug in seen_lessons:
                problems.append(Problem(path, _line_of(files[path].decode("utf-8", "replace"),
                                                       "slug"),
                                        f"lesson slug “{lesson.slug}” is also used by "
                                        f"{seen_lessons[lesson.slug]}"))
                continue
            seen_lessons[lesson.slug] = path
            module.lessons.append(lesson)
        lesson_files = [p for p in files if p.startswith(folder + "/") and p.count("/") == 1
                        and p.lower().endswith(".md")]
        if not lesson_files:
            problems.append(Problem(folder + "/", None, "the module has no lessons"))
        modules.append(module)
    for path in files:
        if path.lower().endswith(".md") and path.count("/") != 1 and path != "README.md":
            problems.append(Problem(path, None, "lessons must sit directly in a module folder"))
    if not modules and not problems:
        problems.append(Problem("course.toml", None, "the package has no modules"))

    spec = CourseSpec(
        slug=slug, title=title, summary=_text_field(meta, "summary", "course.toml", problems,
                                                    required=False, multiline=True,
                                                    line=line.get("summary")),
        language=language, version=version,
        estimated_minutes=0, topics=[t.strip() for t in topics if t.strip()], family=family,
        completion_rule=rule, modules=modules, files=files,
        extra={k: v for k, v in meta.items() if isinstance(v, (dict, list))},
    )
    spec.estimated_minutes = _minutes(meta, "estimated_minutes", "course.toml", problems,
                                      sum(lesson.estimated_minutes for lesson in spec.lessons))
    certificate = meta.get("certificate", {})
    if not isinstance(certificate, dict):
        problems.append(Problem("course.toml", None, "[certificate] must be a table"))
        certificate = {}
    months = certificate.get("validity_months")
    if months is not None and (isinstance(months, bool) or not isinstance(months, int)
                               or not 1 <= months <= 240):
        problems.append(Problem("course.toml", _line_of(files["course.toml"].decode(
            "utf-8", "replace"), "validity_months"), "certificate.validity_months must be a "
                                                     "whole number of months (1-240)"))
        months = None
    spec.certificate_validity_months = months
    spec.requires_tasks = tasks_rule == "required"
    template = certificate.get("template")
    if template is not None and (not isinstance(template, str) or template not in files
                                 or not template.endswith(".html")):
        problems.append(Problem("course.toml", None, "certificate.template must name an .html "
                                                     "file of the package"))
    _check_references(spec, problems)
    if problems:
        raise PackageError(problems)
    return spec
