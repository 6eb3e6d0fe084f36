"""Command-line interface: argument parsing only; every command calls into a stage.

Exit codes: 0 success, 1 failure (nothing built, a bad query, a store that will not open), 2 bad usage.
Errors are one line on stderr that names the problem and the file or position.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Sequence
from pathlib import Path

from kg import __version__
from kg.rdf import DEFAULT_BASE
from kg.store import DEFAULT_STORE, QueryError, StoreError, open_store

EXIT_OK, EXIT_FAILURE, EXIT_USAGE = 0, 1, 2


class CliError(Exception):
    """A failure to report as one line and exit 1."""


def _date(value: str) -> str:
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        raise argparse.ArgumentTypeError(f"expected a date as YYYY-MM-DD, got {value!r}")
    return value


def _read_arguments(p: argparse.ArgumentParser) -> None:
    """Options for reading input, shared by build and extract (see kg.read.ReadOptions)."""
    from kg.read import FORMATS

    g = p.add_argument_group("reading input (PATH may be - for stdin)")
    g.add_argument("--encoding", default=None, help="force an encoding (gbk, gb18030, big5, utf-16…); default: detect")
    g.add_argument("--format-in", choices=FORMATS, default="auto",
                   help="input format; default auto: SogouCS XML, HTML, JSON Lines or text, sniffed per file")
    g.add_argument("--include", action="append", default=[], metavar="GLOB",
                   help="in directories, read only files matching (name or relative path; repeatable)")
    g.add_argument("--exclude", action="append", default=[], metavar="GLOB", help="in directories, skip matching files")
    g.add_argument("--text-field", default="", help="JSON Lines: key of the text (default: text, content or body)")
    g.add_argument("--title-field", default="", help="JSON Lines: key of the title (default: title or headline)")
    g.add_argument("--date-field", default="", help="JSON Lines: key of the publication date (default: date, time…)")
    g.add_argument("--id-field", default="", help="JSON Lines: key of a record id used in document ids (default: id)")
    g.add_argument("--meta-field", action="append", default=[], metavar="KEY",
                   help="JSON Lines: also keep this key as document metadata (repeatable; * keeps all)")
    g.add_argument("--simplify", choices=["auto", "always", "never"], default="auto",
                   help="convert traditional Chinese to simplified for extraction, offsets unchanged (default auto: "
                        "only text that is traditional)")
    g.add_argument("--strict", action="store_true",
                   help="exit 1 when any input was skipped or damaged (default: only when nothing was read)")


def _jobs(value: str) -> int:
    try:
        jobs = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number of worker processes, got {value!r}") from None
    if jobs < 1:
        raise argparse.ArgumentTypeError(f"expected at least 1 worker process, got {jobs}")
    return jobs


def _read_options(args: argparse.Namespace, command: str):
    """ReadOptions from the shared reading arguments; warnings are printed as they happen."""
    from kg.read import JsonFields, ReadOptions, ReadStats

    def warn(warning: object) -> None:
        print(f"kg {command}: warning: {warning}", file=sys.stderr)

    fields = JsonFields(text=args.text_field, title=args.title_field, date=args.date_field, id=args.id_field,
                        metadata=tuple(args.meta_field))
    try:
        return ReadOptions(encoding=args.encoding, input_format=args.format_in, include=tuple(args.include),
                           exclude=tuple(args.exclude), json=fields, simplify=args.simplify, on_warning=warn,
                           stats=ReadStats())
    except LookupError:
        raise CliError(f"unknown encoding {args.encoding!r}") from None


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="kg", description="Build an RDF knowledge graph from Chinese news text.")
    parser.add_argument("--version", action="version", version=f"kg {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    def command(name: str, help_text: str, *, store: bool = True) -> argparse.ArgumentParser:
        p = sub.add_parser(name, help=help_text, description=help_text)
        if store:
            p.add_argument("--store", default=DEFAULT_STORE,
                           help="store: a directory (embedded Oxigraph), memory:, rdflib:, or the URL of a SPARQL "
                                f"1.1 server (http(s)://…; credentials from KG_STORE_USER/KG_STORE_PASSWORD) "
                                f"(default ./{DEFAULT_STORE})")
        return p

    p = command("build", "Read files, extract entities and relations, and add them to the store.")
    p.add_argument("paths", nargs="+", metavar="PATH", help="files or directories of Chinese news text")
    p.add_argument("--lines", action="store_true", help="every line is a separate document (sentence corpora)")
    p.add_argument("--date", type=_date, default=None, help="publication date YYYY-MM-DD for resolving 12月15日 etc.")
    p.add_argument("--base", default=DEFAULT_BASE, help=f"base IRI for minted entities (default {DEFAULT_BASE})")
    p.add_argument("--force", action="store_true", help="rebuild documents even when they are unchanged")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress output")
    p.add_argument("--no-explorer-cache", action="store_true",
                   help="do not save the explorer's entity graph beside the store after building (the first "
                        "kg serve then reads it from the store, which takes longer on big graphs)")
    p.add_argument("-j", "--jobs", type=_jobs, default=1, metavar="N",
                   help="extract in N worker processes (one writer merges and stores, in input order: the same "
                        "graph as -j 1); default 1")
    p.add_argument("--dask", default=None, metavar="ADDRESS",
                   help="extract as tasks on a Dask cluster: a scheduler address (tcp://host:8786) or 'local' for a "
                        "LocalCluster of max(N, 2) worker processes on this machine (needs dask[distributed])")
    p.add_argument("--root", default=None, metavar="DIR",
                   help="document ids are file paths relative to DIR (default: the directory holding an on-disk "
                        "store, else the working directory)")
    _read_arguments(p)

    p = command("extract", "Extract entities and relations and print them as JSON Lines (no store).", store=False)
    p.add_argument("paths", nargs="+", metavar="PATH")
    p.add_argument("--lines", action="store_true", help="every line is a separate document")
    p.add_argument("--date", type=_date, default=None, help="publication date YYYY-MM-DD")
    p.add_argument("--format", choices=["jsonl"], default="jsonl")
    _read_arguments(p)

    p = command("query", "Run a SPARQL query (text or a .rq file) against the store.")
    p.add_argument("query", help="SPARQL query text, or a path to a .rq file")
    p.add_argument("--format", choices=["table", "json", "xml", "csv", "tsv", "turtle", "nt", "jsonld"],
                   default="table")
    p.add_argument("--limit", type=int, default=None, help="stop after this many result rows")

    p = command("export", "Write the whole graph to a file.")
    p.add_argument("--format", choices=["turtle", "trig", "nquads", "nt", "jsonld"], default="turtle")
    p.add_argument("-o", "--output", default="-", help="output file (default: stdout)")

    p = command("serve", "Serve SPARQL and the graph explorer over HTTP (waitress).")
    p.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1: this machine only)")
    p.add_argument("--port", type=int, default=8000)
    p.add_argument("--base", default=DEFAULT_BASE)
    p.add_argument("--timeout", type=float, default=30.0,
                   help="seconds a query may run before it is stopped with a 503 (default 30)")
    p.add_argument("--max-rows", type=int, default=10_000, help="result-size cap in rows/triples (default 10000)")
    p.add_argument("--workers", type=int, default=None,
                   help="serving processes that answer SPARQL for an on-disk store (default: one per core, at least 2)")
    p.add_argument("--allow-update", action="store_true", help="enable POST /update (needs --token)")
    p.add_argument("--token", default=None, help="bearer token for /update (or set KG_UPDATE_TOKEN)")

    p = command("viz", "Write the entity network as one self-contained HTML file.")
    p.add_argument("-o", "--output", required=True, help="HTML file to write")
    p.add_argument("--focus", default="", help="draw only the neighbourhood of the entity with this label")
    p.add_argument("--hops", type=int, default=2, choices=[1, 2, 3])
    p.add_argument("--max-nodes", type=int, default=300)

    command("stats", "Count documents, entities by type, relations and triples.")

    p = command("import", "Load RDF files (Turtle, N-Triples, TriG, N-Quads, JSON-LD) into the store; each graph in "
                "a file replaces the store's graph of that name.")
    p.add_argument("files", nargs="+", metavar="FILE")
    p.add_argument("--format", choices=["turtle", "nt", "trig", "nquads", "jsonld"], default=None,
                   help="input format (default: from the file extension)")
    p.add_argument("--graph", default=None, help="named graph for a file's default-graph triples "
                   "(default: <base>graph/import/FILENAME)")
    p.add_argument("--base", default=DEFAULT_BASE, help=f"base IRI (default {DEFAULT_BASE})")

    p = command("remove", "Delete documents (by document id, e.g. seeds/page.txt, which also removes its articles "
                "seeds/page.txt#N) and everything only they asserted.")
    p.add_argument("docs", nargs="+", metavar="DOC")

    p = command("validate", "Check the store against the SHACL shapes (ontology/shapes.ttl); exit 1 on any violation.")
    p.add_argument("--max", type=int, default=50, help="print at most this many violations (default 50)")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse exits 2 on bad usage and 0 on --help
        return int(exc.code or 0)
    handler = globals()[f"cmd_{args.command}"]
    try:
        return handler(args)
    except (CliError, StoreError, QueryError, OSError) as exc:
        print(f"kg {args.command}: error: {exc}", file=sys.stderr)
        return EXIT_FAILURE
    except KeyboardInterrupt:
        print(f"kg {args.command}: interrupted", file=sys.stderr)
        return 130


def cmd_build(args: argparse.Namespace) -> int:
    import time

    from kg.build import build

    options = _read_options(args, "build")
    if args.root is not None:
        if not Path(args.root).is_dir():
            raise CliError(f"--root {args.root} is not a directory")
        options.root = args.root
    started = time.monotonic()
    tty = sys.stderr.isatty() and not args.quiet
    shown = {"n": 0, "at": 0.0}

    def progress(item: object) -> None:
        shown["n"] += 1
        now = time.monotonic()
        if tty and now - shown["at"] >= 0.2:
            shown["at"] = now
            rate = shown["n"] / max(now - started, 1e-9)
            print(f"\rkg build: {shown['n']} document(s) handled, {rate:.1f}/s", end="", file=sys.stderr,
                  flush=True)

    with open_store(args.store) as store:
        try:
            report = build(store, args.paths, base=args.base, lines=args.lines, date=args.date or "",
                           force=args.force, progress=progress, read_options=options, jobs=args.jobs,
                           dask=args.dask)
        except RuntimeError as exc:  # no Dask, a scheduler that cannot be reached
            if type(exc).__name__ == "DaskUnavailable":
                raise CliError(str(exc)) from exc
            raise
        if tty:
            print(file=sys.stderr)
        elapsed = time.monotonic() - started
        # Graphs, not triples: counting the distinct triples of a big store takes longer than adding an article.
        how = f"--dask {args.dask}" if args.dask else f"{args.jobs} worker process(es)" if args.jobs > 1 else "serial"
        print(f"kg build: {report.summary()} in {elapsed:.1f} s ({len(report.built) / max(elapsed, 1e-9):.1f} "
              f"documents/s, {how}); store {args.store} holds {len(store.graphs())} graphs", file=sys.stderr)
    if (report.built or report.removed) and not args.no_explorer_cache and ":" not in args.store:
        _save_explorer(args.store)
    for problem in report.problems:
        print(f"kg build: skipped {problem}", file=sys.stderr)
    print(f"kg build: {options.stats.summary()}", file=sys.stderr)
    if not report.built and not report.unchanged:
        print("kg build: error: nothing could be built", file=sys.stderr)
        return EXIT_FAILURE
    if args.strict and (options.stats.problems or options.stats.warnings):
        print("kg build: error: --strict and some input was skipped or damaged", file=sys.stderr)
        return EXIT_FAILURE
    return EXIT_OK


def _save_explorer(spec: str) -> None:
    """Prepare the explorer's graph now, while the user expects work, rather than at the first ``kg serve``."""
    import time

    from kg.serve.explore import save_for_next_start

    started = time.monotonic()
    try:
        with open_store(spec, read_only=True) as store:
            saved = save_for_next_start(store)
    except (StoreError, OSError) as exc:  # the graph is built and stored; only the head start for the explorer is lost
        print(f"kg build: warning: could not prepare the explorer's graph: {exc}", file=sys.stderr)
        return
    if saved:
        print(f"kg build: explorer graph prepared in {time.monotonic() - started:.1f} s", file=sys.stderr)


def cmd_extract(args: argparse.Namespace) -> int:
    from kg.extract import Extractor
    from kg.read import ReadProblem, read_sources

    extractor = Extractor()
    options = _read_options(args, "extract")
    produced = 0
    problems = []
    for item in read_sources(args.paths, lines=args.lines, date=args.date or "", options=options):
        if isinstance(item, ReadProblem):
            problems.append(item)
            print(f"kg extract: skipped {item}", file=sys.stderr)
            continue
        doc = extractor(item)
        sys.stdout.write(json.dumps(doc.to_json(), ensure_ascii=False) + "\n")
        produced += 1
    sys.stdout.flush()
    print(f"kg extract: {options.stats.summary()}", file=sys.stderr)
    if args.strict and (options.stats.problems or options.stats.warnings):
        return EXIT_FAILURE
    return EXIT_OK if produced else EXIT_FAILURE


def _query_text(arg: str) -> str:
    path = Path(arg)
    if arg.endswith(".rq") or (len(arg) < 256 and "\n" not in arg and path.is_file()):
        if not path.is_file():
            raise CliError(f"query file {arg} does not exist")
        return path.read_text(encoding="utf-8")
    return arg


def _open_existing(spec: str):
    """Open a store for reading; a missing on-disk store is an error, not a silently created empty one."""
    if ":" not in spec and not Path(spec).exists():
        raise CliError(f"store {spec} does not exist; build one first with: kg build --store {spec} PATH")
    return open_store(spec, read_only=":" not in spec)


def cmd_query(args: argparse.Namespace) -> int:
    from kg.store.results import serialize, table

    text = _query_text(args.query)
    with _open_existing(args.store) as store:
        result = store.query(text, limit=args.limit)
    if args.format == "table":
        out = table(result)
    else:
        try:
            out = serialize(result, args.format)
        except ValueError as exc:
            raise CliError(str(exc)) from exc
    sys.stdout.write(out if out.endswith("\n") else out + "\n")
    return EXIT_OK


def cmd_export(args: argparse.Namespace) -> int:
    from kg.export import export

    with _open_existing(args.store) as store:
        if args.output == "-":
            count = export(store, args.format, sys.stdout.buffer)
            sys.stdout.flush()
        else:
            with open(args.output, "wb") as out:
                count = export(store, args.format, out)
    print(f"kg export: wrote {count} {'quads' if args.format in ('trig', 'nquads', 'jsonld') else 'triples'}",
          file=sys.stderr)
    return EXIT_OK


def cmd_serve(args: argparse.Namespace) -> int:
    from kg.serve.server import run_server

    return run_server(args.store, host=args.host, port=args.port, base=args.base, timeout=args.timeout,
                      allow_update=args.allow_update, token=args.token, workers=args.workers, max_rows=args.max_rows)


def cmd_viz(args: argparse.Namespace) -> int:
    from kg.viz import static_explorer

    if args.max_nodes < 1:
        raise CliError("--max-nodes must be at least 1")
    with _open_existing(args.store) as store:
        try:
            page, entities, links = static_explorer(store, focus=args.focus, hops=args.hops,
                                                    max_nodes=args.max_nodes)
        except KeyError:
            raise CliError(f"no entity labelled {args.focus!r} in the store") from None
    Path(args.output).write_text(page, encoding="utf-8")
    print(f"kg viz: wrote {args.output} ({entities} entities, {links} links)", file=sys.stderr)
    return EXIT_OK


STATS_QUERY = """
PREFIX kg: <https://w3id.org/kgnews/ontology#>
SELECT ?what (COUNT(DISTINCT ?x) AS ?n) WHERE {
  { VALUES ?what { kg:Document kg:Agency kg:Person kg:Place kg:Project kg:Event kg:Sentence kg:Mention } ?x a ?what }
  UNION { BIND(rdf:Statement AS ?what) ?x a rdf:Statement }
} GROUP BY ?what ORDER BY ?what
"""


def cmd_stats(args: argparse.Namespace) -> int:
    with _open_existing(args.store) as store:
        rows = store.query("PREFIX rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#>\n" + STATS_QUERY).rows
        triples = len(store)
        graphs = len(store.graphs())
    for row in rows:
        name = str(row["what"]).rsplit("#", 1)[-1]
        print(f"{'relations' if name == 'Statement' else name:<12} {int(row['n'])}")
    print(f"{'graphs':<12} {graphs}")
    print(f"{'triples':<12} {triples}")
    return EXIT_OK


def cmd_import(args: argparse.Namespace) -> int:
    from kg.export import import_file

    total = 0
    with open_store(args.store) as store:
        for path in args.files:
            report = import_file(store, path, fmt=args.format, graph=args.graph, base=args.base)
            total += report.quads
            print(f"kg import: {path}: {report.quads} quads in {len(report.graphs)} graph(s)", file=sys.stderr)
        print(f"kg import: store {args.store} holds {len(store.graphs())} graphs", file=sys.stderr)
    return EXIT_OK


def cmd_remove(args: argparse.Namespace) -> int:
    from kg.build import remove_documents

    missing = []
    if ":" not in args.store and not Path(args.store).exists():
        raise CliError(f"store {args.store} does not exist")
    with open_store(args.store) as store:
        for doc in args.docs:
            removed = remove_documents(store, doc)
            if not removed:
                missing.append(doc)
            for doc_id in removed:
                print(f"kg remove: removed {doc_id}", file=sys.stderr)
    if missing:
        raise CliError(f"no document with id {', '.join(missing)} in store {args.store} (see: kg query "
                       "'SELECT ?id WHERE { ?d <https://w3id.org/kgnews/ontology#docId> ?id }')")
    return EXIT_OK


def cmd_validate(args: argparse.Namespace) -> int:
    from kg.store.validate import validate

    with _open_existing(args.store) as store:
        report = validate(store, max_located=args.max)
    for violation in report.violations[: args.max]:
        print(violation)
    hidden = len(report.violations) - args.max
    if hidden > 0:
        print(f"... and {hidden} more")
    errors = len(report.errors)
    warnings = len(report.violations) - errors
    verdict = "conforms" if not errors else "does NOT conform"
    print(f"kg validate: {args.store} {verdict}: {errors} violation(s), {warnings} warning(s) "
          f"in {report.triples} triples", file=sys.stderr)
    return EXIT_OK if not errors else EXIT_FAILURE


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
