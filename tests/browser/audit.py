"""What every journey page is checked for (tests/browser/test_axe.py): axe-core's WCAG 2.1 A/AA
and best-practice rules, targets of at least 44 × 44 px, and table header cells with text.

axe-core is vendored (tests/browser/vendor/axe.min.js, MPL-2.0) and evaluated through the
DevTools protocol, so the page's Content-Security-Policy (no inline scripts) stays on.
Serious and critical axe violations fail; moderate ones must be listed, with the reason they
are accepted, in the README's "Accessibility" section, so that list stays true."""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from tests.browser.conftest import VENDOR

README = Path(__file__).resolve().parents[2] / "README.md"
AXE_SOURCE = (VENDOR / "axe.min.js").read_text(encoding="utf-8")
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]
RUN_AXE = """async (tags) => {
  const result = await axe.run(document, {
    runOnly: {type: 'tag', values: tags},
    resultTypes: ['violations'],
  });
  return result.violations.map(v => ({
    id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.map(n => ({target: n.target.join(' '),
                              summary: (n.failureSummary || '').split('\\n').slice(0, 3).join(' ')}))
  }));
}"""

# WCAG 2.5.5 at 44 × 44 CSS px for every link, button and form control one can see, with its
# exceptions: a link inside a sentence or block of text ("inline"), and the browser's own
# unstyled controls. A checkbox or radio button counts together with its label (clicking the
# label ticks it), a text control's label is not part of it.
SMALL_TARGETS = """(minimum) => {
  const shown = el => {
    const r = el.getBoundingClientRect();
    return r.width > 1 && r.height > 1 && getComputedStyle(el).visibility !== 'hidden';
  };
  const hasWords = (node, skip) => {
    for (const child of node.childNodes) {
      if (child === skip) continue;
      if (child.nodeType === Node.TEXT_NODE) { if (/\\p{L}/u.test(child.data)) return true; }
      else if (child.nodeType === Node.ELEMENT_NODE &&
               !child.matches('a, button, .badge, .visually-hidden') && hasWords(child, skip)) {
        return true;
      }
    }
    return false;
  };
  const inSentence = el => {
    if (getComputedStyle(el).display !== 'inline') return false;
    let block = el.parentElement;
    while (block && getComputedStyle(block).display === 'inline') block = block.parentElement;
    return !!block && hasWords(block, el);
  };
  const box = el => {
    let r = el.getBoundingClientRect();
    let [left, top, right, bottom] = [r.left, r.top, r.right, r.bottom];
    if (el.matches('input[type=checkbox], input[type=radio]')) {
      for (const label of el.labels || []) {
        const l = label.getBoundingClientRect();
        left = Math.min(left, l.left); top = Math.min(top, l.top);
        right = Math.max(right, l.right); bottom = Math.max(bottom, l.bottom);
      }
    }
    return {width: right - left, height: bottom - top};
  };
  const describe = el => el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') +
    (typeof el.className === 'string' && el.className ? '.' + el.className.trim().split(/\\s+/).join('.') : '') +
    ' "' + (el.innerText || el.value || el.getAttribute('aria-label') || '').trim().slice(0, 30) + '"';
  return [...document.querySelectorAll(
      'a[href], button, input:not([type=hidden]), select, textarea, summary, [tabindex="0"]')]
    .filter(el => shown(el) && !el.closest('.visually-hidden') && !inSentence(el))
    .map(el => ({el, size: box(el)}))
    .filter(({size}) => size.width < minimum - 0.5 || size.height < minimum - 0.5)
    .map(({el, size}) => `${describe(el)} is ${Math.round(size.width)}×${Math.round(size.height)}`);
}"""

EMPTY_HEADER_CELLS = """() => [...document.querySelectorAll('th')]
  .filter(th => !th.textContent.trim() && !(th.getAttribute('aria-label') || '').trim())
  .map(th => th.closest('table').id || th.closest('table').className || 'table')"""


def readme_moderate_rules() -> dict[str, str]:
    """Return the moderate axe rules the README accepts: rule id -> why."""
    text = README.read_text(encoding="utf-8")
    match = re.search(r"^## Accessibility\n(.*?)(?=^## |\Z)", text, re.S | re.M)
    assert match, "the README has no '## Accessibility' section"
    rules = {}
    for line in match.group(1).splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if line.startswith("|") and len(cells) == 3 and re.fullmatch(r"`[a-z0-9-]+`", cells[0]):
            rules[cells[0].strip("`")] = cells[2]
    return rules


@dataclass
class Audit:
    """The findings on the pages of one journey."""

    failures: list[str] = field(default_factory=list)
    moderate: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    pages: list[str] = field(default_factory=list)

    def check(self, page, what: str, targets: bool = True) -> None:
        """Run every check on the page as it is now, under the name `what`."""
        self.pages.append(what)
        if not page.evaluate("() => typeof window.axe === 'object'"):
            page.evaluate(AXE_SOURCE)
        for violation in page.evaluate(RUN_AXE, AXE_TAGS):
            if violation["impact"] in ("serious", "critical"):
                for node in violation["nodes"][:5]:
                    self.failures.append(f"{what}: axe {violation['id']} ({violation['impact']}) "
                                         f"at {node['target']}: {node['summary']}")
            elif violation["impact"] == "moderate":
                self.moderate[violation["id"]].add(what)
        if targets:
            for small in page.evaluate(SMALL_TARGETS, 44)[:8]:
                self.failures.append(f"{what}: target smaller than 44×44 px: {small}")
        for table in page.evaluate(EMPTY_HEADER_CELLS):
            self.failures.append(f"{what}: a header cell without text in {table}")

    def assert_clean(self) -> None:
        """Fail on any failure, and on a moderate rule the README does not list."""
        accepted = readme_moderate_rules()
        unlisted = {rule: sorted(pages) for rule, pages in self.moderate.items()
                    if rule not in accepted}
        problems = list(self.failures)
        for rule, pages in unlisted.items():
            problems.append(f"moderate axe rule {rule} on {', '.join(pages[:6])}: fix it, or list "
                            "it with the reason in the README's Accessibility section")
        assert not problems, (f"{len(problems)} accessibility problems on "
                              f"{len(self.pages)} page views:\n" + "\n".join(problems))
