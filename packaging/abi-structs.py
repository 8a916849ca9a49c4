#!/usr/bin/python3
"""The rule for structs that may grow (flyteauth_error, flyteauth_metadata: "fields may be
appended in later versions; never allocate this struct"): every member of the baseline
keeps its name, type and offset, in order; members may only be added after them.

libabigail's own suppressions for this (has_data_member_inserted_at = end) also hide a
retyped or renamed member, so abidiff ignores these structs entirely
(abi/suppressions.abignore) and this script checks them in the two abixml files.

usage: abi-structs.py BASELINE.abi CURRENT.abi STRUCT...
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


def main():
    base, cur, names = Corpus(sys.argv[1]), Corpus(sys.argv[2]), sys.argv[3:]
    broken = False
    for name in names:
        old, new = base.members(name), cur.members(name)
        if old is None:
            continue  # not in the baseline: a new type, nothing to keep
        if new is None:
            print("! struct %s: removed" % name)
            broken = True
            continue
        ok = True
        for i, (mname, mtype, moff) in enumerate(old):
            if i >= len(new):
                print("! struct %s: member %s removed" % (name, mname))
                ok = False
                continue
            nname, ntype, noff = new[i]
            if (nname, ntype, noff) != (mname, mtype, moff):
                print("! struct %s: member %d was '%s %s' at bit %d, now '%s %s' at bit %d"
                      % (name, i, short(mtype), mname, moff, short(ntype), nname, noff))
                ok = False
        broken = broken or not ok
        if ok:
            for nname, ntype, noff in new[len(old):]:
                print("+ struct %s: member '%s %s' appended at bit %d" % (name, short(ntype), nname, noff))
    sys.exit(1 if broken else 0)


if __name__ == "__main__":
    main()
