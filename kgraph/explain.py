"""Why an entity exists: every page, section and line that gave rise to it (`kgraph explain`)."""

from __future__ import annotations

from dataclasses import dataclass

from kgraph.errors import QueryError

__all__ = ["Explanation", "explain"]


@dataclass
class Explanation:
    iri: str
    name: str
    type: str
    citations: list[dict]  # page, title, section, line, anchorText, context
    roles: list[dict]  # page, title, file, role, via
    others: list[dict]  # other entities that matched the text

    def lines(self) -> list[str]:
        out = [f"{self.name}  [{self.type.rsplit('/', 1)[-1]}]  {self.iri}"]
        if self.citations:
            out.append(f"cited by {len({c['page'] for c in self.citations})} page(s):")
            for c in self.citations:
                where = f"line {c['line']}" + (f", section “{c['section']}”" if c.get("section") else "")
                out.append(f"  {c['title']} ({where}): {c.get('context') or c.get('anchorText') or ''}")
        if self.roles:
            out.append("named on:")
            for r in self.roles:
                via = f" ({r['via']})" if r.get("via") else ""
                out.append(f"  {r['title']} [{r.get('file') or r['page']}]: {r['role']}{via}")
        if not self.citations and not self.roles:
            out.append("no page cites or names it directly (it is described by the site's own pages)")
        if self.others:
            out.append("other matches: " + "; ".join(f"{o['name']} <{o['e']}>" for o in self.others[:5]))
        return out


def explain(kg, text: str) -> Explanation:
    """Explain the entity whose IRI is text, or the best match for a name."""
    found = kg.query("find-entity", {"text": text})
    if not found:
        raise QueryError(f"{text!r}: no entity has that IRI or a name containing it")
    best = found[0]
    iri = best["e"]
    citations = kg.query("entity-citations", {"entity": iri})
    roles = kg.query("entity-roles", {"entity": iri})
    others = [f for f in found[1:] if f["e"] != iri]
    return Explanation(iri, best["name"], best["type"], citations, roles, others)
