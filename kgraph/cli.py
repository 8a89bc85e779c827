"""The `kgraph` command line. Library errors become one line on stderr and a non-zero exit."""

from __future__ import annotations

import contextlib
import functools
import json
import os
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import click

from kgraph.errors import KgraphError

__all__ = ["main", "cli"]


class _StoreType(click.ParamType):
    """A store folder (a Path), or an http(s) SPARQL endpoint URL kept as text (server mode)."""

    name = "path|url"

    def convert(self, value, param, ctx):
        from kgraph.remote import is_remote

        return value if is_remote(value) else Path(value)


def _store_option(f):
    return click.option(
        "--store", "store", type=_StoreType(), default=None,
        help="Store folder, or a SPARQL 1.1 server URL (default: $KGRAPH_STORE or .kgraph).",
    )(f)


def _store_path(store: Path | str | None) -> Path | str:
    from kgraph.remote import is_remote

    env = os.environ.get("KGRAPH_STORE") or ".kgraph"
    return store or (env if is_remote(env) else Path(env))


def _friendly(f):
    """Turn KgraphError (and a broken pipe) into a one-line message and exit 1."""
    @functools.wraps(f)
    def wrapper(*args, **kwargs):
        try:
            return f(*args, **kwargs)
        except KgraphError as e:
            click.echo(f"kgraph: error: {e}", err=True)
            sys.exit(1)
        except BrokenPipeError:
            sys.exit(0)
        except KeyboardInterrupt:
            click.echo("kgraph: interrupted", err=True)
            sys.exit(130)
    return wrapper


SHOWN_PER_KIND = 20  # violations `kgraph validate` lists of each kind without --all


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="kgraph")
def cli() -> None:
    """kgraph: turn Hugo podcast sites into one RDF knowledge graph, and explore it."""


@cli.command()
@click.argument("sources", nargs=-1, type=click.Path(path_type=Path))
@_store_option
@click.option("--orgs", multiple=True, type=click.Path(path_type=Path),
              help="Extra organizations CSV (name,kind,domains,aliases).")
@click.option("--strict", is_flag=True, help="Fail when any page is skipped with a warning.")
@click.option("--quiet", "-q", is_flag=True, help="Print only the summary line.")
@_friendly
def build(sources: tuple[Path, ...], store: Path | None, orgs: tuple[Path, ...], strict: bool, quiet: bool) -> None:
    """(Re)build the graph from Hugo sites (their root or content/ folder).

    With no SOURCE, builds the bundled sample site in data/.
    """
    from kgraph.build import build_store

    path = _store_path(store)
    with _progress_bar(quiet) as progress:
        summary = build_store(list(sources), path, orgs=list(orgs), progress=progress, strict=strict)
    _print_summary(summary, path, quiet)


@contextlib.contextmanager
def _progress_bar(quiet: bool = False) -> Iterator[Callable[[str, int, int], None] | None]:
    """A progress(stage, done, total) callback drawing one line on a terminal's stderr, wiped at
    the end; None when quiet or when stderr is not a terminal."""
    if quiet or not sys.stderr.isatty():
        yield None
        return

    def progress(stage: str, done: int, total: int) -> None:
        if total:
            bar = "#" * (30 * done // total)
            click.echo(f"\r  {stage:<18} [{bar:<30}] {done}/{total}", err=True, nl=False)
        else:
            click.echo(f"\r  {stage:<18} {'':<44}", err=True, nl=False)

    try:
        yield progress
    finally:
        click.echo("\r" + " " * 80 + "\r", err=True, nl=False)


def _print_summary(s: dict, path: Path, quiet: bool) -> None:
    skipped = s["skipped"]
    click.echo(f"Built {path}: {s['pages_read']} pages read, {len(skipped)} skipped, "
               f"{s['triples']} triples in {s['seconds']} s")
    if quiet:
        return
    if s.get("timings"):
        click.echo("  time: " + ", ".join(f"{k} {v} s" for k, v in s["timings"].items()))
    if s.get("incremental"):
        inc = s["incremental"]
        click.echo(f"  incremental: {inc['pages_extracted']} pages extracted, {inc['pages_rewritten']} rewritten")
    if s.get("mirror"):
        click.echo(f"  build cache for this server: {s['mirror']} (lets the next build send only what changed; "
                   "`kgraph mirrors` lists them)")
    for item in skipped:
        line = f"  skipped {item['path']}: {item['reason']}"
        click.echo(f"kgraph: warning: {line.strip()}" if item["warning"] else line, err=item["warning"])
    for w in s["warnings"]:
        click.echo(f"kgraph: warning: {w}", err=True)
    click.echo("Entities:")
    for kind, n in sorted(s["entities"].items(), key=lambda kv: (-kv[1], kv[0])):
        click.echo(f"  {kind:<20} {n:>7}")
    click.echo(f"  {'citations':<20} {s['citations']:>7}")


@cli.command()
@click.argument("query", required=False)
@_store_option
@click.option("--format", "fmt", type=click.Choice(["table", "csv", "json"]), default="table", show_default=True)
@click.option("--param", "-p", multiple=True, metavar="NAME=VALUE", help="Value for a bundled query's parameter.")
@click.option("--list", "list_", is_flag=True, help="List the bundled queries.")
@click.option("--timeout", type=click.FloatRange(min=0), default=30.0, show_default=True, metavar="SECONDS",
              help="Stop the query after this many seconds (0: no limit, run in this process).")
@click.option("--max-rows", type=click.IntRange(min=1), default=100_000, show_default=True,
              help="Fail when the result has more rows than this.")
@_friendly
def query(query: str | None, store: Path | None, fmt: str, param: tuple[str, ...], list_: bool,
          timeout: float, max_rows: int) -> None:
    """Run a read-only SPARQL query: QUERY is SPARQL text, a .rq file, or a bundled query's name.

    Common prefixes (schema:, kg:, rdf:, rdfs:, xsd:) are predeclared. SERVICE, LOAD, updates
    and FROM of graphs outside the store are refused before anything runs.
    """
    from kgraph.errors import QueryError
    from kgraph.graph import KnowledgeGraph
    from kgraph.query import bundled_queries

    if list_:
        for name, q in bundled_queries().items():
            params = " ".join(f"--param {p}=..." for p in q.params)
            click.echo(f"{name:<28} {q.title}{'  (' + params + ')' if params else ''}")
        return
    if not query:
        raise QueryError("give a QUERY (SPARQL text, a .rq file or a bundled query name), or --list")
    params = {}
    for item in param:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise QueryError(f"--param {item!r}: expected NAME=VALUE")
        params[key] = value
    kg = KnowledgeGraph.open(_store_path(store))
    result = kg.run(query, params, max_rows=max_rows, timeout=timeout or None)
    if fmt == "csv":
        click.echo(result.to_csv().encode("utf-8"), nl=False)  # bytes: keep CSV's CRLF as written
    elif fmt == "json":
        click.echo(result.to_json())
    else:
        click.echo(_table(result))


def _table(result) -> str:
    if result.kind == "ask":
        return "yes" if result.boolean else "no"
    if result.kind == "graph":
        return "\n".join(" ".join(t.n3() for t in triple) + " ." for triple in result.triples)
    cols = result.variables
    cells = [[_cell(r.get(c)) for c in cols] for r in result.rows]
    widths = [min(60, max([len(c)] + [len(row[i]) for row in cells])) for i, c in enumerate(cols)]
    lines = ["  ".join(c.ljust(w) for c, w in zip(cols, widths, strict=True)),
             "  ".join("-" * w for w in widths)]
    for row in cells:
        lines.append("  ".join(v[:w].ljust(w) for v, w in zip(row, widths, strict=True)))
    lines.append(f"({len(cells)} row{'s' if len(cells) != 1 else ''})")
    return "\n".join(lines)


def _cell(v) -> str:
    """One line of text: a tab separates the items of a list (page-tags' tags), so it shows as
    ' | ' rather than as a jump to another column."""
    if v is None:
        return ""
    s = v.isoformat() if hasattr(v, "isoformat") else str(v)
    return s.replace("\n", " ").replace("\t", " | ")


@cli.command()
@click.argument("fmt", metavar="FORMAT")
@click.option("-o", "--output", type=click.Path(path_type=Path), required=True, help="File to write.")
@_store_option
@_friendly
def export(fmt: str, output: Path, store: Path | None) -> None:
    """Export the graph: FORMAT is turtle, nt, jsonld or graphml."""
    from kgraph.errors import ExportError
    from kgraph.export import EXPORTERS
    from kgraph.graph import KnowledgeGraph

    if fmt not in EXPORTERS:
        raise ExportError(f"unknown export format {fmt!r} (choose from {', '.join(EXPORTERS)})")
    path = KnowledgeGraph.open(_store_path(store)).export(fmt, output)
    click.echo(f"Wrote {path} ({EXPORTERS[fmt][0]}, {path.stat().st_size} bytes)")


@cli.command()
@_store_option
@click.option("--top", default=10, show_default=True, help="How many top works and guests to list.")
@click.option("--json", "as_json", is_flag=True, help="Print the numbers as JSON.")
@_friendly
def stats(store: Path | None, top: int, as_json: bool) -> None:
    """Counts by entity type, top cited works, top guests."""
    from kgraph.graph import KnowledgeGraph

    kg = KnowledgeGraph.open(_store_path(store))
    counts = kg.query("entity-counts")
    works = kg.query("most-cited-works")[:top]
    guests = kg.query("top-guests")[:top]
    if as_json:
        click.echo(json.dumps({"types": counts, "top_works": works, "top_guests": guests}, default=str, indent=2))
        return
    click.echo(f"Store {kg.path} (built {kg._store.meta.get('built')}, {len(kg)} triples)\n")
    click.echo("Entities by type:")
    for row in counts:
        click.echo(f"  {row['type'].rsplit('/', 1)[-1]:<22} {row['count']:>7}")
    click.echo("\nTop cited works:")
    for row in works:
        click.echo(f"  {row['citations']:>4}  [{row['type']}] {row['name'][:90]}")
    click.echo("\nTop guests:")
    for row in guests:
        click.echo(f"  {row['episodes']:>4}  {row['name']}")


@cli.command()
@_store_option
@click.option("--all", "show_all", is_flag=True,
              help=f"List every violation (by default at most {SHOWN_PER_KIND} of each kind, and how many more).")
@click.option("--json", "as_json", is_flag=True,
              help="Print {conforms, violations: [{focus, path, message, severity, value}]} with every violation.")
@_friendly
def validate(store: Path | None, show_all: bool, as_json: bool) -> None:
    """Check the store against the SHACL shapes in ontology/; exit 1 on violations.

    Violations are listed by kind (one message of the shapes), the most frequent first.
    """
    import dataclasses

    from kgraph.graph import KnowledgeGraph

    kg = KnowledgeGraph.open(_store_path(store))
    with _progress_bar() as progress:
        violations = kg.validate(progress)
    if as_json:
        report = {"conforms": not violations, "violations": [dataclasses.asdict(v) for v in violations]}
        click.echo(json.dumps(report, indent=2, ensure_ascii=False))
        sys.exit(1 if violations else 0)
    if not violations:
        click.echo("Valid: the graph conforms to the SHACL shapes.")
        return
    kinds: dict[tuple[str, str], list] = {}
    for v in violations:
        kinds.setdefault((v.severity, v.message), []).append(v)
    for (severity, message), group in sorted(kinds.items(), key=lambda kv: -len(kv[1])):
        click.echo(f"{severity} ({len(group)}): {message}")
        shown = group if show_all else group[:SHOWN_PER_KIND]
        for v in shown:
            value = f" (value: {v.value[:200]})" if v.value else ""
            click.echo(f"  {v.focus} {v.path}{value}")
        if len(group) > len(shown):
            click.echo(f"  ... and {len(group) - len(shown)} more (--all lists every one)")
    click.echo(f"{len(violations)} violation(s) of {len(kinds)} kind(s)", err=True)
    sys.exit(1)


@cli.command()
@_store_option
@click.option("--port", default=8501, show_default=True)
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to bind (127.0.0.1: this machine only).")
@_friendly
def dashboard(store: Path | None, port: int, host: str) -> None:
    """Start the Streamlit dashboard on the store."""
    app = Path(__file__).resolve().parent / "app" / "streamlit_app.py"
    if not app.is_file():
        app = Path(__file__).resolve().parent.parent / "streamlit_app.py"
    from kgraph.app.warm import ENV, server_url, warm_up_later

    where = _store_path(store)
    env = {**os.environ, **ENV, "KGRAPH_STORE": where if isinstance(where, str) else str(where.resolve())}
    cmd = [sys.executable, "-m", "streamlit", "run", str(app), "--server.address", host, "--server.port", str(port),
           "--browser.gatherUsageStats", "false", "--server.headless", "true",
           "--client.toolbarMode", "viewer"]  # no Deploy button or developer menu for the dashboard's readers
    click.echo(f"kgraph dashboard on http://{host}:{port} (store {env['KGRAPH_STORE']}); Ctrl-C stops it")
    sys.stdout.flush()
    warm_up_later(server_url(host, port))
    os.execve(sys.executable, cmd, env)  # become the server: stopping this process stops it, no orphan


@cli.command()
@click.argument("entity")
@_store_option
@_friendly
def explain(entity: str, store: Path | None) -> None:
    """Why an entity is in the graph: each page, section and line it came from.

    ENTITY is an IRI or words from a name ("Peter Park", "arXiv:2310.06009" works too via names).
    """
    from kgraph.explain import explain as explain_entity
    from kgraph.graph import KnowledgeGraph

    click.echo("\n".join(explain_entity(KnowledgeGraph.open(_store_path(store)), entity).lines()))


@cli.command()
@click.option("--forget", metavar="URL", help="Delete the mirror of this server (its URL, or the folder name listed); "
              "its next build is a full one.")
@click.option("--prune", is_flag=True,
              help="Delete the mirrors whose server now holds another build's graph (no use any more).")
@click.option("--store", "store", default=None, metavar="URL",
              help="Only this server's mirror, and whether its next build can be incremental.")
@_friendly
def mirrors(forget: str | None, prune: bool, store: str | None) -> None:
    """List this machine's mirrors of SPARQL servers: the build caches that let a build into a
    server send only what changed ($KGRAPH_MIRROR_DIR, else ~/.cache/kgraph/servers)."""
    from kgraph import mirrors as m
    from kgraph.errors import InputError
    from kgraph.remote import is_remote, mirror_folder, mirrors_root

    if sum(map(bool, (forget, prune, store))) > 1:
        raise InputError("--forget, --prune and --store: give one of them")
    if store and not is_remote(store):
        raise InputError(f"--store {store}: mirrors are kept for SPARQL servers (an http(s) URL); "
                         "a store folder keeps its build cache inside it")
    if forget:
        gone = m.forget(forget)
        click.echo(f"Deleted the mirror of {gone.server or gone.folder.name} ({_mb(gone.size)}): {gone.folder}")
        return
    if prune:
        for mirror, state, deleted in m.prune():
            click.echo(f"{'deleted' if deleted else 'kept':<8} {mirror.server or mirror.folder.name}  "
                       f"({_STATES[state]}, {_mb(mirror.size)})")
        return
    found = m.list_mirrors()
    if store:
        found = [x for x in found if x.folder == mirror_folder(store)]
        if not found:
            click.echo(f"No mirror of {store} in {mirrors_root()}: the next build into it is a full one")
            return
    click.echo(f"Mirrors in {mirrors_root()}: {len(found)}, {_mb(sum(x.size for x in found))}")
    for x in found:
        click.echo(f"  {x.server or '(server not recorded)'}\n    built {x.built or '?'}, {x.quads} triples, "
                   f"{_mb(x.size)}, folder {x.folder.name}")
        if store:
            click.echo(f"    {_STATES[m.status(x)]}")


_STATES = {
    "current": "the server holds its graph: the next build can be incremental",
    "stale": "the server holds another build's graph",
    "unreachable": "the server did not answer",
    "unknown": "its server is not recorded; --forget FOLDER deletes it",
    "busy": "a build is writing it",
}


def _mb(size: int) -> str:
    return f"{size / 1e6:.1f} MB"


def main() -> None:
    cli(prog_name="kgraph")


if __name__ == "__main__":
    main()
