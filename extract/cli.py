"""Command line: `extract parse PATH... --out DIR` and `extract show FILE`.

Exit status: 0 when every document parsed (ok or partial), 1 when some failed, 2 on a usage
or configuration error (or when the dataset cannot be written, or another run is writing it),
3 (fetch, run) when no document failed but a site did not serve what it lists, 130 when
interrupted (Ctrl-C or SIGTERM; --resume carries on). One summary line goes to stderr at the end
of every run.
"""
from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
import unicodedata
from pathlib import Path

from . import __version__

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_SITE_ERRORS, EXIT_INTERRUPTED = 0, 1, 2, 3, 130


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="extract", description=__doc__.split("\n")[0])
    p.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    p.add_argument("-v", "--verbose", action="store_true", help="log what happens to each document")
    # -v after the subcommand too (`extract parse -v …`); SUPPRESS keeps a -v given before it
    verbose = argparse.ArgumentParser(add_help=False)
    verbose.add_argument("-v", "--verbose", action="store_true", default=argparse.SUPPRESS,
                         help="log what happens to each document")
    sub = p.add_subparsers(dest="command", required=True)

    parse = sub.add_parser("parse", parents=[verbose], help="parse files and folders (recursively) into a dataset")
    parse.add_argument("paths", nargs="+", help="report files or folders")
    parse.add_argument("--out", default="output", help="dataset folder (default: output)")
    parse.add_argument("--format", default="both", choices=["csv", "parquet", "both"],
                       help="table files to write (default: both)")
    parse.add_argument("--workers", type=int, default=os.cpu_count() or 1,
                       help="worker processes (default: all cores)")
    parse.add_argument("--quiet", action="store_true", help="no progress bar")
    parse.add_argument("--engine", default="local", choices=["local", "dask"],
                       help="local worker processes (default) or a Dask cluster")
    parse.add_argument("--scheduler", help="dask scheduler address, e.g. tcp://HOST:8786 "
                                           "(default: start a LocalCluster)")
    parse.add_argument("--doc-timeout", type=float, default=120.0,
                       help="seconds one document may take before it is killed (default: 120)")
    parse.add_argument("--doc-memory", type=int, default=2048,
                       help="MiB of resident memory (RSS) a worker may reach on one document before it is "
                            "killed: its whole RSS, the loaded pipeline included (a few hundred MiB at rest; "
                            "a value below that is refused); 0: no limit (default: 2048)")
    parse.add_argument("--resume", action="store_true",
                       help="skip documents already in the dataset, but parse again those that failed for "
                            "the environment or a limit (reports.failure)")
    parse.add_argument("--retry-failed", action="store_true",
                       help="as --resume, and parse again every failed document, of any failure kind")
    parse.add_argument("--no-panel", action="store_true",
                       help="do not rebuild the archive (agencies, panel, coverage, panel_checks) at the end")
    _ocr_options(parse)

    for name, text in (("fetch", "fetch what is new or changed on the configured sites"),
                       ("run", "fetch, then parse what is new or changed into the dataset")):
        cmd = sub.add_parser(name, parents=[verbose], help=text,
                             description=f"{text}. Exit status: 0 all fine, 1 documents "
                             "failed to parse (run), 3 only site errors (URLs not served, sources not "
                             "crawled to the end), 2 configuration error, 130 interrupted.")
        cmd.add_argument("--config", required=True, help="the TOML configuration file")
        cmd.add_argument("--quiet", action="store_true", help="no progress bar")
        if name == "run":
            cmd.add_argument("--workers", type=int, default=os.cpu_count() or 1, help="parse workers")
            cmd.add_argument("--reparse", action="store_true",
                             help="fetch nothing: parse every stored document the dataset holds again "
                                  "(after an upgrade), keeping their URLs and supersedes")
            cmd.add_argument("--no-panel", action="store_true", help="do not rebuild the archive at the end")

    panel = sub.add_parser("panel", help="rebuild the archive (agencies, panel, coverage, panel_checks) "
                                         "of an existing dataset")
    panel.add_argument("out", help="the dataset folder")
    panel.add_argument("--format", choices=["csv", "parquet", "both"],
                       help="table files to write (default: those the dataset has)")
    panel.add_argument("--agencies", help="agencies.toml to use (default: OUT/agencies.toml when it exists)")

    page = sub.add_parser("report", help="write the quality page (HTML) of a dataset and its archive")
    page.add_argument("out", help="the dataset folder")
    page.add_argument("--html", help="the page to write (default: OUT/report.html)")

    show = sub.add_parser("show", parents=[verbose], help="print what the parser saw in one document, and why")
    show.add_argument("file")
    _ocr_options(show)
    return p


def _ocr_options(cmd: argparse.ArgumentParser) -> None:
    cmd.add_argument("--no-ocr", action="store_true",
                     help="do not read scanned pages and table images by OCR (the [ocr] extra)")
    cmd.add_argument("--ocr-dpi", type=int, default=None,
                     help="resolution scanned PDF pages are rendered at for OCR (default: 150)")


def _set_ocr(args) -> str | None:
    """OCR settings go to the environment, which the worker processes (and a LocalCluster's)
    inherit: set before any of them starts. Returns an error message for a bad value."""
    if getattr(args, "no_ocr", False):
        os.environ["GIOAR_OCR"] = "0"
    dpi = getattr(args, "ocr_dpi", None)
    if dpi is not None:
        if not 50 <= dpi <= 400:
            return "--ocr-dpi must be between 50 and 400"
        os.environ["GIOAR_OCR_DPI"] = str(dpi)
    timeout = getattr(args, "doc_timeout", None)
    if timeout:  # OCR stops in time to keep what it read, before the worker is killed
        os.environ.setdefault("GIOAR_OCR_DOC_SECONDS", f"{0.8 * timeout:g}")
    workers = getattr(args, "workers", 1) or 1
    # One ONNX Runtime thread per worker when the workers fill the cores.
    os.environ.setdefault("GIOAR_OCR_THREADS", str(max(1, (os.cpu_count() or 1) // workers)))
    return None


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    args.verbose = getattr(args, "verbose", False)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING,
                        format="%(levelname)s %(name)s: %(message)s", stream=sys.stderr)
    problem = _set_ocr(args)
    if problem:
        print(f"extract: {problem}", file=sys.stderr)
        return EXIT_USAGE
    from .console import quiet_on_broken_pipe

    if args.command == "show":
        return quiet_on_broken_pipe(lambda: _show(args))  # `extract show FILE | head` ends quietly
    if args.command == "panel":
        return _panel(args)
    if args.command == "report":
        return _report_page(args)
    # SIGTERM (systemd, kill) stops a run as Ctrl-C does: what was parsed is written first.
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    try:
        return _parse(args) if args.command == "parse" else _nightly(args)
    except KeyboardInterrupt:  # outside the phases that say more (fetching, starting)
        print(f"\nextract: interrupted; {_AGAIN[args.command]}", file=sys.stderr)
        return EXIT_INTERRUPTED


_AGAIN = {"parse": "run the same command with --resume to parse the rest",
          "fetch": "run it again: what was stored is kept", "run": "run it again: what was stored is kept"}


def _print_failures(failures: list[tuple[str, str]], say=None) -> None:
    say = say or (lambda line: print(line, file=sys.stderr))
    for source, error in failures[:20]:
        say(f"failed: {source}: {error}")
    if len(failures) > 20:
        say(f"… and {len(failures) - 20} more failed (see reports.status)")


def _nightly(args) -> int:
    """fetch / run. Exit 1 when documents failed to parse, else 3 when a site did not serve what
    it lists (a 404, a server down, a source skipped): a cron alert on 1 is about this tool's data,
    not about a site's broken link that will be there every night."""
    from .fetch import ConfigError, FetchSummary, fetch_all, load_config, parse_new, write_run_record
    from .fetch.nightly import echo_stderr as say

    try:
        config = load_config(args.config)
    except ConfigError as exc:
        say(f"extract: configuration error: {exc}")
        return EXIT_USAGE
    if args.command == "run" and args.workers < 1:
        say("extract: --workers must be at least 1")
        return EXIT_USAGE
    fetched = FetchSummary()
    if not getattr(args, "reparse", False):
        fetched = fetch_all(config, echo=say)
        for s in fetched.sources:
            for err in s.errors:
                say(f"failed: [{s.name}] {err['url']}: {err['error']}")
        say(fetched.line())
    parsed = None
    if args.command == "run":
        from .batch.local import EngineError
        from .batch.runner import Interrupted
        from .dataset import DatasetError

        try:
            parsed = parse_new(config, args.workers, progress=not args.quiet and sys.stderr.isatty(),
                               reparse=args.reparse, echo=say)
        except (EngineError, DatasetError) as exc:  # a full disk, another run writing: the fetch is kept
            say(f"extract: {exc}")
            return EXIT_USAGE
        except Interrupted as exc:
            say(f"\nextract: interrupted after {exc.summary.documents} documents were written to {config.out}; "
                f"{_AGAIN['run']}")
            return EXIT_INTERRUPTED
        _print_failures(parsed.failures, say)
        archive = None if args.no_panel else _archive(config.out)
        say(parsed.line() + (f"; {archive.line()}" if archive else ""))
    record = write_run_record(config.out, args.command, fetched, parsed)
    say(f"run record: {record}")
    if parsed is not None and parsed.failed:
        return EXIT_FAILED
    return EXIT_SITE_ERRORS if fetched.site_errors else EXIT_OK


def _parse(args) -> int:
    if args.engine == "dask" and not args.scheduler:
        from .batch.dask import SERVER_MODULES
        from .batch.local import start_server

        # The fork server loads the pipeline while this process imports and scans; a Dask
        # LocalCluster forks its workers from it. (The local engine starts its server when a run
        # needs one: batch.local.parse_local.)
        start_server(SERVER_MODULES)
    from .batch.local import EngineError
    from .batch.runner import Interrupted, RunSettings, run
    from .dataset import DatasetError

    if args.workers < 1:
        print("extract: --workers must be at least 1", file=sys.stderr)
        return EXIT_USAGE
    if args.doc_timeout <= 0 or args.doc_memory < 0:
        print("extract: --doc-timeout must be > 0 and --doc-memory >= 0", file=sys.stderr)
        return EXIT_USAGE
    if args.scheduler and args.engine != "dask":
        print("extract: --scheduler goes with --engine dask", file=sys.stderr)
        return EXIT_USAGE
    settings = RunSettings(out=Path(args.out), format=args.format, workers=args.workers,
                           progress=not args.quiet and sys.stderr.isatty(), engine=args.engine,
                           scheduler=args.scheduler, doc_timeout=args.doc_timeout,
                           doc_memory_mb=args.doc_memory, resume=args.resume, retry_failed=args.retry_failed,
                           early_workers=True)
    try:
        summary = run(args.paths, settings)
    except (FileNotFoundError, EngineError, DatasetError) as exc:
        print(f"extract: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except Interrupted as exc:
        print(f"\nextract: interrupted after {exc.summary.documents} documents were written to {args.out}; "
              "run the same command with --resume to parse the rest", file=sys.stderr)
        return EXIT_INTERRUPTED
    _print_failures(summary.failures)
    archive = None if args.no_panel else _archive(settings.out, args.format)
    print(summary.line() + (f"; {archive.line()}" if archive else ""), file=sys.stderr)
    if archive is False:
        return EXIT_USAGE
    return EXIT_FAILED if summary.failed else EXIT_OK


def _archive(out: Path, fmt: str | None = None):
    """Rebuild the archive at the end of a run; False (after saying why) when it cannot be."""
    from .panel import AgenciesFileError, ArchiveError, build_archive

    try:
        return build_archive(out, fmt)
    except (AgenciesFileError, ArchiveError) as exc:
        print(f"extract: the archive was not rebuilt: {exc}", file=sys.stderr)
        return False


def _panel(args) -> int:
    from .panel import build_archive

    def build() -> str:
        return f"{build_archive(Path(args.out), args.format, args.agencies).line()} → {args.out}"

    return _over_dataset(args.out, build)


def _report_page(args) -> int:
    from .panel.quality import build_page

    try:
        import matplotlib  # noqa: F401  (the charts; an extra)
    except ImportError:
        print("extract: the quality page needs matplotlib: pip install -e '.[report]'", file=sys.stderr)
        return EXIT_USAGE
    return _over_dataset(args.out, lambda: build_page(Path(args.out), args.html).line())


def _over_dataset(out: str, build) -> int:
    """Run a build over an existing dataset (extract panel, extract report); print its line."""
    from .panel import AgenciesFileError, ArchiveError

    if not Path(out, "reports.parquet").exists() and not Path(out, "reports.csv").is_file():
        print(f"extract: {out} is not a dataset (no reports table)", file=sys.stderr)
        return EXIT_USAGE
    try:
        line = build()
    except (AgenciesFileError, ArchiveError, OSError) as exc:
        print(f"extract: {exc}", file=sys.stderr)
        return EXIT_USAGE
    print(line, file=sys.stderr)
    return EXIT_OK


def _width(s: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in s)


def _clip(s: str, n: int) -> str:
    out, w = "", 0
    for ch in s.replace("\n", " "):
        cw = _width(ch)
        if w + cw > n - 1 and _width(s) > n:
            return out + "…"
        out += ch
        w += cw
    return out


def _pad(s: str, n: int) -> str:
    return s + " " * max(0, n - _width(s))


def _show(args) -> int:
    from parsers.model import Heading, Table

    from .report.pipeline import parse_with_document

    path = Path(args.file)
    try:
        data = path.read_bytes()
    except OSError as exc:
        print(f"extract: cannot read {path}: {exc.strerror or exc}", file=sys.stderr)
        return EXIT_USAGE
    report, doc = parse_with_document(data, source=str(path))
    out = sys.stdout
    print(f"# {path}", file=out)
    print(f"report_id {report.report_id}\nformat {report.format} {report.encoding}  status {report.status}"
          f"  template {report.template}", file=out)
    print(f"title {report.title!r}\nagency {report.agency!r}  year {report.year}  region "
          f"{report.province} {report.city} {report.county} {report.adcode}", file=out)
    if report.error:
        print(f"error: {report.error}", file=out)
    if doc is None:
        return EXIT_FAILED
    heads = {s.block: s for s in report.sections}
    print("\n## Document", file=out)
    for i, block in enumerate(doc.blocks):
        if isinstance(block, Table):
            grid = block.as_text_grid()
            print(f"[{i}] table {block.n_rows}×{block.n_cols}", file=out)
            widths = [min(14, max((_width(r[c]) for r in grid), default=1)) for c in range(block.n_cols)]
            for row in grid:
                print("    | " + " | ".join(_pad(_clip(t, w), w) for t, w in zip(row, widths)), file=out)
        elif i in heads:
            s = heads[i]
            print(f"[{i}] § {s.key}: {block.text}", file=out)
        else:
            kind = "heading" if isinstance(block, Heading) else "para"
            print(f"[{i}] {kind}: {_clip(block.text, 70)}", file=out)
    print("\n## Matched cells (table.row.col = value  raw | row label | column label | flags)", file=out)
    for c in report.cells:
        value = "null" if c.value is None else f"{c.value:g}"
        print(f"{c.table}.{c.row}.{c.col} = {value}  {c.raw!r} | {c.row_label} | {c.col_label}"
              f"{' | ' + ','.join(c.flags) if c.flags else ''}{f' | p.{c.page}' if c.page else ''}", file=out)
    _show_legacy(report, out)
    bad = [c for c in report.checks if c.status != "pass"]
    print(f"\n## Checks: {len(report.checks) - len(bad)} pass, "
          f"{sum(c.status == 'fail' for c in bad)} fail, {sum(c.status == 'not_assessable' for c in bad)} not assessable",
          file=out)
    for c in bad:
        print(f"{c.status:15} {c.check}: {c.lhs} vs {c.rhs} {c.note}", file=out)
    return EXIT_OK


def _show_legacy(report, out) -> None:
    """The legacy statistics table as matched, and every statement with its sentence."""
    if report.statistics is not None:
        st = report.statistics
        print(f"\n## Statistics table (columns: {' | '.join(f'{h} → {r}' for h, r in zip(st.header, st.columns))})",
              file=out)
        rows: dict[str, dict] = {}
        for c in st.cells:
            rows.setdefault(c.row, {"label": c.row_label, "unit": c.unit})[c.col] = c
        for key, r in rows.items():
            vals = "  ".join(f"{col} {_number(r[col].value)}"
                             for col in ("reported", "cumulative") if col in r)
            print(f"{r['label']} → {key}: {vals} {r['unit']}", file=out)
        for p in st.problems:
            print(f"problem: {p}", file=out)
    print(f"\n## Statements ({len(report.statements)}: key = value unit [flags] §section: sentence)", file=out)
    for s in report.statements:
        flags = f" [{','.join(s.flags)}]" if s.flags else ""
        print(f"{s.key} = {_number(s.value)} {s.unit}{flags} §{s.section}: {s.sentence}", file=out)
    if report.indicators:
        print("\n## Indicators", file=out)
        for i in report.indicators:
            print(f"{i.indicator} = {_number(i.value)} ({i.source}: {_clip(i.ref, 60)})", file=out)


def _number(value: float | None) -> str:
    if value is None:
        return "null"
    return f"{value:.0f}" if value == int(value) else f"{value:g}"
