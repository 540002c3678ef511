"""Practical tasks inside course packages: read each module's `tasks.toml` into task specs.

Pure: bytes in, specs or problems (file, line, reason) out.

```toml
[[tasks]]
slug = "dang-ky-van-ban-den"
title = "Đăng ký một văn bản đến"
instructions = "Markdown: what to do, step by step"
evidence = "Markdown: what counts as evidence (a screenshot of ..., the number ...)"
required = true                    # optional (default true)
```
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from courses.packages import SLUG, Problem, _text_problem, _toml

MAX_TEXT = 20_000  # instructions and evidence, each
KEYS = {"slug", "title", "instructions", "evidence", "required"}


@dataclass
class TaskSpec:
    """A task as described by its package file."""

    folder: str
    slug: str
    title: str
    instructions: str
    evidence: str
    is_required: bool
    source_path: str
    line: int | None = None


def _table_lines(data: bytes) -> list[int]:
    """Return the line of each `[[tasks]]` header, in order."""
    return [number for number, line in enumerate(data.decode("utf-8", "replace").splitlines(),
                                                 start=1)
            if re.match(r"\s*\[\[\s*tasks\s*\]\]", line)]


def _text(item: dict, key: str, path: str, line, problems, *, multiline: bool) -> str:
    value = item.get(key)
    if not isinstance(value, str) or not value.strip():
        problems.append(Problem(path, line, f"“{key}” is required (text)"))
        return ""
    if multiline:
        if len(value) > MAX_TEXT:
            problems.append(Problem(path, line, f"“{key}” is longer than {MAX_TEXT} characters"))
            return ""
        if "\x00" in value:
            problems.append(Problem(path, line, f"“{key}” holds a NUL character"))
            return ""
        return value.strip()
    problem = _text_problem(key, value)
    if problem:
        problems.append(Problem(path, line, problem))
        return ""
    return value.strip()


def parse_tasks(files: dict[str, bytes]) -> tuple[list[TaskSpec], list[Problem]]:
    """Return the tasks of every module folder's `tasks.toml`, in folder order, and the
    problems found (slugs unique within the course)."""
    specs: list[TaskSpec] = []
    problems: list[Problem] = []
    seen: dict[str, str] = {}
    for path in sorted(p for p in files if p.endswith("/tasks.toml") or p == "tasks.toml"):
        if path.count("/") != 1:
            problems.append(Problem(path, None, "tasks.toml must sit directly in a module "
                                                "folder"))
            continue
        folder = path.split("/", 1)[0]
        data = _toml(path, files[path], problems)
        if data is None:
            continue
        lines = _table_lines(files[path])
        unknown = set(data) - {"tasks"}
        if unknown:
            problems.append(Problem(path, None, "unknown key(s): " + ", ".join(sorted(unknown))
                                    + " (write each task as a [[tasks]] table)"))
        items = data.get("tasks", [])
        if not isinstance(items, list) or not items:
            problems.append(Problem(path, None, "declare at least one [[tasks]] table"))
            continue
        for index, item in enumerate(items):
            line = lines[index] if index < len(lines) else None
            if not isinstance(item, dict):
                problems.append(Problem(path, line, "each task must be a [[tasks]] table"))
                continue
            extra = set(item) - KEYS
            if extra:
                problems.append(Problem(path, line, "unknown key(s) in a task: "
                                        + ", ".join(sorted(extra))))
            slug = _text(item, "slug", path, line, problems, multiline=False)
            if slug and (not SLUG.fullmatch(slug) or len(slug) > 80):
                problems.append(Problem(path, line, f"slug “{slug}” may use only a-z, 0-9 and "
                                                    "single hyphens (≤ 80)"))
                slug = ""
            if slug in seen:
                problems.append(Problem(path, line, f"task slug “{slug}” is also used by "
                                                    f"{seen[slug]}"))
                slug = ""
            if slug:
                seen[slug] = f"{path}:{line}" if line else path
            title = _text(item, "title", path, line, problems, multiline=False)
            instructions = _text(item, "instructions", path, line, problems, multiline=True)
            evidence = _text(item, "evidence", path, line, problems, multiline=True)
            required = item.get("required", True)
            if not isinstance(required, bool):
                problems.append(Problem(path, line, "“required” must be true or false"))
                required = True
            if slug and title and instructions and evidence:
                specs.append(TaskSpec(folder=folder, slug=slug, title=title,
                                      instructions=instructions, evidence=evidence,
                                      is_required=required, source_path=path, line=line))
    return specs, problems
