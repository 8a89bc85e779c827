"""Extraction quality against hand-made labels: precision, recall and F1 per entity type.

The labels (tests/labels/kairos_eval.json, see its README) say, page by page, what a careful
reader finds: guests, hosts, papers, datasets, organizations, chapters. Items labelled
borderline count neither for nor against; aliases are accepted spellings.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from kgraph.extract.people import clean_name
from kgraph.extract.urls import canonical_url

__all__ = ["Score", "evaluate", "load_labels", "TARGETS"]

TARGETS = {
    "papers": 0.98,
    "guests": 0.97,
    "hosts": 0.97,
    "datasets": 0.95,
    "organizations": 0.90,
    "chapters": 1.0,
    "titles": 1.0,
    "dates": 1.0,
}


@dataclass
class Score:
    tp: int = 0
    fp: int = 0
    fn: int = 0
    misses: list[str] = field(default_factory=list)
    false_finds: list[str] = field(default_factory=list)

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0


def load_labels(path: str | Path) -> list[dict]:
    return [p for p in json.loads(Path(path).read_text(encoding="utf-8")) if p.get("published", True)]


def _norm(text: str) -> str:
    text = clean_name(text).casefold()
    text = re.sub(r"^the\s+", "", text)
    return re.sub(r"[^\w]+", " ", text).strip()


def _paper_keys(item: dict) -> set[str]:
    keys = {str(i).casefold() for i in [item.get("id"), *item.get("alt_ids", [])] if i}
    for k in ("url", "href"):
        if item.get(k):
            keys.add(canonical_url(item[k]).casefold() or item[k].casefold())
    return keys


def _match_sets(
    gold: list[set[str]], border: list[set[str]], pred: dict[str, set[str]], score: Score, page: str
) -> None:
    """gold/border: one set of accepted keys per item; pred: display -> its keys."""
    matched_gold: set[int] = set()
    for display, keys in sorted(pred.items()):
        hit = next((i for i, g in enumerate(gold) if g & keys and i not in matched_gold), None)
        if hit is not None:
            matched_gold.add(hit)
            score.tp += 1
        elif any(g & keys for g in gold) or any(b & keys for b in border):
            continue
        else:
            score.fp += 1
            score.false_finds.append(f"{page}: {display}")
    for i, g in enumerate(gold):
        if i not in matched_gold:
            score.fn += 1
            score.misses.append(f"{page}: {sorted(g)[0]}")


def evaluate(kg, labels: list[dict]) -> dict[str, Score]:
    """Score a built KnowledgeGraph against labels, page by page."""
    scores = {k: Score() for k in TARGETS}
    for label in labels:
        facts = page_facts(kg, label["path"])
        page = label["path"]
        if facts is None:
            for k in ("titles", "dates"):
                scores[k].fn += 1
                scores[k].misses.append(f"{page}: page missing from the graph")
            continue
        _exact(scores["titles"], page, label["title"], facts["title"])
        _exact(scores["dates"], page, label["date"], facts["date"])
        _exact(scores["chapters"], page, [tuple(c) for c in label["chapters"]], facts["chapters"])
        for role in ("guests", "hosts"):
            aliases = label.get(f"{role[:-1]}_aliases", {})
            gold = [{_norm(n), *(_norm(a) for a in aliases.get(n, []))} for n in label[role]]
            pred = {n: {_norm(n)} for n in facts[role]}
            _match_sets(gold, [], pred, scores[role], page)
        gold = [_paper_keys(p) for p in label["papers"]]
        border = [_paper_keys(p) for p in label.get("papers_borderline", [])]
        _match_sets(gold, border, facts["papers"], scores["papers"], page)
        gold = [{_norm(d["name"]), canonical_url(d.get("url") or "").casefold()} - {""} for d in label["datasets"]]
        border = [
            {_norm(d["name"]), canonical_url(d.get("url") or "").casefold()} - {""}
            for d in label.get("datasets_borderline", [])
        ]
        _match_sets(gold, border, facts["datasets"], scores["datasets"], page)
        aliases = label.get("organization_aliases", {})
        gold = [{_norm(o), *(_norm(a) for a in aliases.get(o, []))} for o in label["organizations"]]
        border = [
            {_norm(o), *(_norm(a) for a in aliases.get(o, []))} for o in label.get("organizations_borderline", [])
        ]
        _match_sets(gold, border, facts["organizations"], scores["organizations"], page)
    return scores


def _exact(score: Score, page: str, gold, pred) -> None:
    if gold == pred:
        score.tp += 1
    else:
        score.fn += 1
        score.fp += 1
        score.misses.append(f"{page}: expected {gold!r}, got {pred!r}")


@lru_cache(maxsize=1)
def _aliases() -> dict[str, set[str]]:
    """Normalised org name -> every normalised alias the curated table gives it."""
    from kgraph.extract.orgs import load_org_table

    table = load_org_table()
    out: dict[str, set[str]] = {}
    for alias, key in table.by_alias.items():
        out.setdefault(_norm(table.by_key[key].name), set()).add(_norm(alias))
    return out


def page_facts(kg, rel: str) -> dict | None:
    """What the graph says about one page (by its content-relative path)."""
    p = {"file": rel}
    head = kg.query(
        """SELECT ?e ?title ?date WHERE { ?e kg:sourceFile ?file ; schema:name ?title .
                       OPTIONAL { ?e schema:datePublished ?date } }""",
        p,
    )
    if not head:
        return None
    date = head[0]["date"]
    facts = {"title": head[0]["title"], "date": date.isoformat() if isinstance(date, dt.date) else date}
    chapters = kg.query(
        """SELECT ?s ?t WHERE { ?e kg:sourceFile ?file ; schema:hasPart ?c .
                           ?c schema:startOffset ?s ; schema:name ?t ; schema:position ?n } ORDER BY ?n""",
        p,
    )
    facts["chapters"] = [(r["s"], r["t"]) for r in chapters]
    facts["guests"] = [
        r["n"] for r in kg.query("SELECT DISTINCT ?n WHERE { ?e kg:sourceFile ?file ; schema:actor/schema:name ?n }", p)
    ]
    facts["hosts"] = [
        r["n"]
        for r in kg.query("SELECT DISTINCT ?n WHERE { ?e kg:sourceFile ?file ; schema:author/schema:name ?n }", p)
    ]
    papers = kg.query(
        """SELECT DISTINCT ?w ?name ?id ?url WHERE { ?e kg:sourceFile ?file ; schema:citation ?w .
        ?w a schema:ScholarlyArticle ; schema:name ?name ; schema:url ?url . OPTIONAL { ?w schema:identifier ?id } }""",
        p,
    )
    facts["papers"] = {
        f"{r['name']} <{r['url']}>": {str(r["url"]).casefold()} | ({r["id"].casefold()} if r["id"] else set())
        for r in papers
    }
    datasets = kg.query(
        """SELECT DISTINCT ?w ?name ?url WHERE { ?e kg:sourceFile ?file .
        { ?e schema:citation ?w } UNION { ?e schema:mentions ?w }
        ?w a schema:Dataset ; schema:name ?name . OPTIONAL { ?w schema:url ?url } }""",
        p,
    )
    facts["datasets"] = {
        f"{r['name']} <{r['url']}>": {_norm(r["name"])} | ({str(r["url"]).casefold()} if r["url"] else set())
        for r in datasets
    }
    orgs = kg.query(
        """SELECT DISTINCT ?name WHERE { ?e kg:sourceFile ?file .
        { ?e schema:mentions ?o } UNION { ?e schema:actor/schema:affiliation ?o }
        ?o a schema:Organization ; schema:name ?name }""",
        p,
    )
    facts["organizations"] = {r["name"]: {_norm(r["name"]), *_aliases().get(_norm(r["name"]), ())} for r in orgs}
    return facts
