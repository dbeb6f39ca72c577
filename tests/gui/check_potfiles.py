#!/usr/bin/python3
"""Every file of the app with a translatable string is in po/POTFILES, and
every file listed there exists: a string missing from the catalogue would
stay English in every language, silently.

Usage: check_potfiles.py SOURCE_ROOT
"""
import os
import re
import sys

# _("…"), N_("…"), C_("ctx", "…"), ngettext ("…"; translatable="yes" in .ui;
# <_name>/<_summary>/<_p> and friends in metainfo; _Name= in desktop files;
# <summary>/<description> in a gschema.
MARKERS = re.compile(r'\b(?:N_|C_|_|g_dngettext|ngettext)\s*\(\s*"|translatable="yes"|'
                     r'<_[a-z]+[ >]|^_[A-Za-z]+=|<summary>|<description>', re.MULTILINE)
SCANNED = [("src/app", (".c",)), ("ui", (".ui",)), ("data", (".in", ".xml"))]


def listed(root):
    with open(os.path.join(root, "po", "POTFILES")) as potfiles:
        return {line.strip() for line in potfiles
                if line.strip() and not line.lstrip().startswith("#")}


def translatable(root):
    found = set()
    for directory, suffixes in SCANNED:
        for parent, _, names in os.walk(os.path.join(root, directory)):
            for name in names:
                if not name.endswith(suffixes):
                    continue
                path = os.path.join(parent, name)
                with open(path, encoding="utf-8") as source:
                    if MARKERS.search(source.read()):
                        found.add(os.path.relpath(path, root))
    return found


def main(argv):
    root = argv[1]
    names = listed(root)
    missing = sorted(translatable(root) - names)
    gone = sorted(name for name in names if not os.path.exists(os.path.join(root, name)))
    for name in missing:
        print(f"{name} has translatable strings but is not in po/POTFILES")
    for name in gone:
        print(f"po/POTFILES lists {name}, which does not exist")
    if missing or gone:
        return 1
    print(f"po/POTFILES lists all {len(names)} files with translatable strings")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
