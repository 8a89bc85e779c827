"""Why an entity exists: every page, section and line that gave rise to it (`kgraph explain`)."""

from __future__ import annotations

from dataclasses import dataclass

from kgraph.errors import QueryError

__all__ = ["Explanation", "explain"]

ROLE_ROWS = 1000  # the LIMIT of entity-roles.rq (tests/test_graph.py holds them equal)


@dataclass
class Explanation:
    iri: str
    name: str
    type: str
    citations: list[dict]  # page, title, section, line, anchorText, context, pages (all citing pages)
    roles: list[dict]  # page, title, file, role, via
    others: list[dict]  # other entities that matched the text

    def lines(self) -> list[str]:
        out = [f"{self.name}  [{self.type.rsplit('/', 1)[-1]}]  {self.iri}"]
        if self.citations:
            pages, listed = self.citations[0]["pages"], len({c["page"] for c in self.citations})
            more = f" (the newest {listed} listed)" if listed < pages else ""
            out.append(f"cited by {pages} page(s){more}:")
            for c in self.citations:
                where = f"line {c['line']}" + (f", section “{c['section']}”" if c.get("section") else "")
                out.append(f"  {c['title']} ({where}): {c.get('context') or c.get('anchorText') or ''}")
        if self.roles:
            capped = len(self.roles) >= ROLE_ROWS
            out.append(f"named on (the first {ROLE_ROWS} pages and roles):" if capped else "named on:")
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
