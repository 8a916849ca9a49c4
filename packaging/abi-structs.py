#!/usr/bin/python3
"""The age rule for structs that grow (flyteauth.h, "Structs that grow"; flyteauth_error,
flyteauth_metadata): the library allocates them; each starts with `unsigned int age`;
every member of the baseline keeps its name, type and offset, in order; members may only
be added after them, and an addition raises the struct's age (FLYTEAUTH_<STRUCT>_AGE) by
exactly one, with a FLYTEAUTH_<STRUCT>_AGE_<n> macro for every age up to it. An age
raised without a new member, or lowered, is an error too.

libabigail's own suppressions for this (has_data_member_inserted_at = end) also hide a
retyped or renamed member, so abidiff ignores these structs entirely
(abi/suppressions.abignore) and this script checks them in the two abixml files.

usage: abi-structs.py --header flyteauth.h --ages BASELINE.ages CURRENT.ages
                      BASELINE.abi CURRENT.abi STRUCT...
(an .ages file has one "STRUCT AGE" line per growable struct: abi/struct-ages.txt, and
what packaging/abi-check.sh compiled from the header)
Prints "+ ..." for appended members, "! ..." for incompatible changes; exit 1 on any "!".
"""
import re
import sys
import xml.etree.ElementTree as ET


class Corpus:
    def __init__(self, path):
        root = ET.parse(path).getroot()
        self.types = {e.get("id"): e for e in root.iter() if e.get("id")}
        self.structs = {}
        for e in root.iter("class-decl"):
            if e.get("is-declaration-only") != "yes" and e.get("name"):
                self.structs[e.get("name")] = e

    def spell(self, type_id, depth=0):
        """A canonical spelling of a type: typedefs with what they stand for, down to
        named structs and enums (their insides are checked through their own anchors)."""
        if depth > 20:
            return "..."
        e = self.types.get(type_id)
        if e is None:
            return "?%s" % type_id
        tag = e.tag
        if tag == "type-decl":
            return "%s/%s" % (e.get("name"), e.get("size-in-bits"))
        if tag == "typedef-decl":
            return "%s=(%s)" % (e.get("name"), self.spell(e.get("type-id"), depth + 1))
        if tag == "pointer-type-def":
            return "%s*" % self.spell(e.get("type-id"), depth + 1)
        if tag == "qualified-type-def":
            quals = [q for q in ("const", "volatile", "restrict") if e.get(q) == "yes"]
            return "%s %s" % (" ".join(quals), self.spell(e.get("type-id"), depth + 1))
        if tag == "class-decl":
            return "struct %s" % e.get("name")
        if tag == "union-decl":
            return "union %s" % e.get("name")
        if tag == "enum-decl":
            return "enum %s" % e.get("name")
        if tag == "function-type":
            params = [self.spell(p.get("type-id"), depth + 1) if p.get("type-id") else "..."
                      for p in e.findall("parameter")]
            ret = e.find("return")
            return "fn(%s) -> %s" % (", ".join(params), self.spell(ret.get("type-id"), depth + 1) if ret is not None else "?")
        if tag == "array-type-def":
            return "%s[%s]" % (self.spell(e.get("type-id"), depth + 1), e.get("size-in-bits"))
        return "%s:%s" % (tag, e.get("name"))

    def members(self, name):
        e = self.structs.get(name)
        if e is None:
            return None
        out = []
        for dm in e.findall("data-member"):
            v = dm.find("var-decl")
            out.append((v.get("name"), self.spell(v.get("type-id")), int(dm.get("layout-offset-in-bits", "0"))))
        return out


def short(spelling):
    """The readable part of a spelling: drop what typedefs stand for."""
    out, depth = [], 0
    for ch in spelling:
        if ch == "(" and out and out[-1] == "=":
            out.pop()
            depth += 1
        elif depth and ch == "(":
            depth += 1
        elif depth and ch == ")":
            depth -= 1
        elif not depth:
            out.append(ch)
    return re.sub(r"/[0-9]+", "", "".join(out)).replace("*", " *").strip()


def read_ages(path):
    ages = {}
    with open(path) as f:
        for line in f:
            parts = line.split()
            if len(parts) == 2:
                ages[parts[0]] = int(parts[1])
    return ages


def main():
    args = sys.argv[1:]
    header = ages_paths = None
    while args and args[0].startswith("--"):
        if args[0] == "--header":
            header, args = args[1], args[2:]
        elif args[0] == "--ages":
            ages_paths, args = (args[1], args[2]), args[3:]
        else:
            sys.exit("abi-structs.py: unknown option %s" % args[0])
    base, cur, names = Corpus(args[0]), Corpus(args[1]), args[2:]
    old_ages, new_ages = (read_ages(p) for p in ages_paths) if ages_paths else ({}, {})
    header_text = open(header).read() if header else ""
    broken = False

    def fail(message):
        nonlocal broken
        print("! " + message)
        broken = True

    for name in names:
        old, new = base.members(name), cur.members(name)
        if new is None:
            if old is not None:
                fail("struct %s: removed" % name)
            continue
        if not new or new[0][0] != "age" or short(new[0][1]) != "unsigned int":
            fail("struct %s: a growable struct starts with 'unsigned int age' (the age rule of flyteauth.h)" % name)
        macro = name.upper() + "_AGE"
        age = new_ages.get(name)
        if ages_paths and age is None:
            fail("struct %s: no %s in flyteauth.h" % (name, macro))
        if header and age is not None:
            for n in range(age + 1):
                if not re.search(r"^#define\s+%s_%d\s+%d\b" % (macro, n, n), header_text, re.M):
                    fail("struct %s: flyteauth.h lacks '#define %s_%d %d'" % (name, macro, n, n))
        if old is None:
            continue  # not in the baseline: a new type, nothing to keep
        ok = True
        for i, (mname, mtype, moff) in enumerate(old):
            if i >= len(new):
                fail("struct %s: member %s removed" % (name, mname))
                ok = False
                continue
            nname, ntype, noff = new[i]
            if (nname, ntype, noff) != (mname, mtype, moff):
                fail("struct %s: member %d was '%s %s' at bit %d, now '%s %s' at bit %d (members never move, change or go)"
                     % (name, i, short(mtype), mname, moff, short(ntype), nname, noff))
                ok = False
        if not ok:
            continue
        appended = new[len(old):]
        for nname, ntype, noff in appended:
            print("+ struct %s: member '%s %s' appended at bit %d" % (name, short(ntype), nname, noff))
        if not ages_paths:
            continue
        before = old_ages.get(name)
        if before is None or age is None:
            continue
        if appended and age != before + 1:
            fail("struct %s: members appended but %s is %d, not %d: raise it by one and add "
                 "'#define %s_%d %d' (and say 'age %d' at the new members)"
                 % (name, macro, age, before + 1, macro, before + 1, before + 1, before + 1))
        elif not appended and age != before:
            fail("struct %s: %s changed from %d to %d without a new member" % (name, macro, before, age))
    sys.exit(1 if broken else 0)


if __name__ == "__main__":
    main()
