#!/usr/bin/env python3
"""Build each addon's README.rst from its readme/*.md fragments (OCA layout).

``--check`` only reports addons whose README.rst is missing or stale (exit 1).
"""

import ast
import pathlib
import re
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent
SECTIONS = [
    ("DESCRIPTION", None),
    ("CONFIGURE", "Configuration"),
    ("USAGE", "Usage"),
    ("ROADMAP", "Known issues / Roadmap"),
    ("CONTRIBUTORS", "Contributors"),
]


def _table(rows):
    """A Markdown table as an RST list-table."""
    cells = [[c.strip() for c in row.strip().strip("|").split("|")] for row in rows]
    cells = [row for row in cells if not all(set(c) <= set("-: ") for c in row)]
    out = [".. list-table::", "   :header-rows: 1", ""]
    for row in cells:
        out.append(f"   * - {_inline(row[0])}")
        out.extend(f"     - {_inline(cell)}" for cell in row[1:])
    return [*out, ""]


def _inline(line):
    line = re.sub(r"(?<!`)`([^`]+)`(?!`)", r"``\1``", line)
    return re.sub(r"\[([^\]]+)\]\(([^)]+)\)", r"`\1 <\2>`_", line)


def md_to_rst(text):
    """Convert the small Markdown subset used in fragments to reStructuredText."""
    out = []
    in_code = False
    table = []
    bullet_indent = None  # indentation of the list item of the current paragraph
    for line in [*text.strip().splitlines(), ""]:
        if not in_code and line.startswith("|"):
            table.append(line)
            continue
        if table:
            out.extend(_table(table))
            table = []
        if line.startswith("```"):
            in_code = not in_code
            out.extend(["::", ""] if in_code else [""])
            continue
        if in_code:
            out.append(f"    {line}" if line else "")
            continue
        heading = re.match(r"^(#+)\s+(.*)$", line)
        if heading:
            title = heading[2]
            out.extend([title, "~" * len(title)])
            continue
        bullet = re.match(r"^(\s*)[-*] ", line)
        if not line.strip():
            bullet_indent = None
        elif bullet:
            # reStructuredText needs a blank line where a nested list starts or ends
            if bullet_indent is not None and len(bullet[1]) != bullet_indent and out and out[-1]:
                out.append("")
            bullet_indent = len(bullet[1])
        out.append(_inline(line))
    return "\n".join(out).rstrip()


def render(addon):
    manifest = ast.literal_eval((addon / "__manifest__.py").read_text())
    title = manifest["name"]
    parts = ["=" * len(title), title, "=" * len(title), ""]
    parts.append(f"This addon is licensed under {manifest['license']}; version {manifest['version']}.")
    parts.append("")
    parts.append(".. contents::\n   :local:\n")
    for key, heading in SECTIONS:
        fragment = addon / "readme" / f"{key}.md"
        if not fragment.exists():
            continue
        if heading:
            parts.extend([heading, "=" * len(heading), ""])
        parts.extend([md_to_rst(fragment.read_text()), ""])
    return "\n".join(parts).rstrip() + "\n"


def main(argv):
    check = "--check" in argv
    stale = []
    for manifest in sorted(ROOT.glob("addons/*/__manifest__.py")):
        addon = manifest.parent
        target = addon / "README.rst"
        text = render(addon)
        if check:
            if not target.exists() or target.read_text() != text:
                stale.append(str(target.relative_to(ROOT)))
        else:
            target.write_text(text)
    if stale:
        print("README.rst out of date (run: python3 scripts/gen_readme.py):", *stale, sep="\n  ")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
