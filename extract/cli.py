"""Command line: `extract parse PATH... --out DIR` and `extract show FILE`.

Exit status: 0 when every document parsed (ok or partial), 1 when some failed, 2 on a usage
or configuration error (or when the dataset cannot be written), 130 when interrupted (Ctrl-C;
--resume carries on). One summary line goes to stderr at the end of every run.
"""
from __future__ import annotations

import argparse
import logging
import os
import sys
import unicodedata
from pathlib import Path

from . import __version__

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="extract", description=__doc__.split("\n")[0])
    p.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    p.add_argument("-v", "--verbose", action="store_true", help="log what happens to each document")
    sub = p.add_subparsers(dest="command", required=True)

    parse = sub.add_parser("parse", help="parse files and folders (recursively) into a dataset")
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
                       help="MiB a worker may use on one document before it is killed (default: 2048)")
    parse.add_argument("--resume", action="store_true",
                       help="skip documents whose report_id is already in the dataset")
    _ocr_options(parse)

    for name, text in (("fetch", "fetch what is new or changed on the configured sites"),
                       ("run", "fetch, then parse what is new or changed into the dataset")):
        cmd = sub.add_parser(name, help=text)
        cmd.add_argument("--config", required=True, help="the TOML configuration file")
        cmd.add_argument("--workers", type=int, default=os.cpu_count() or 1, help="parse workers (run)")
        cmd.add_argument("--quiet", action="store_true", help="no progress bar")

    show = sub.add_parser("show", help="print what the parser saw in one document, and why")
    show.add_argument("file")
    show.add_argument("--all-cells", action="store_true", help="list every matched cell (default: all)")
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
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING,
                        format="%(levelname)s %(name)s: %(message)s", stream=sys.stderr)
    problem = _set_ocr(args)
    if problem:
        print(f"extract: {problem}", file=sys.stderr)
        return EXIT_USAGE
    if args.command == "parse":
        return _parse(args)
    if args.command in ("fetch", "run"):
        return _nightly(args)
    return _show(args)


def _nightly(args) -> int:
    from .fetch import ConfigError, fetch_all, load_config, parse_new, write_run_record
    from .fetch.nightly import echo_stderr

    try:
        config = load_config(args.config)
    except ConfigError as exc:
        print(f"extract: configuration error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    fetched = fetch_all(config, echo=echo_stderr)
    for s in fetched.sources:
        for err in s.errors:
            print(f"failed: [{s.name}] {err['url']}: {err['error']}", file=sys.stderr)
    print(fetched.line(), file=sys.stderr)
    parsed = None
    if args.command == "run":
        parsed = parse_new(config, args.workers, progress=not args.quiet and sys.stderr.isatty())
        print(parsed.line(), file=sys.stderr)
    record = write_run_record(config.out, args.command, fetched, parsed)
    print(f"run record: {record}", file=sys.stderr)
    return EXIT_FAILED if fetched.failed or (parsed is not None and parsed.failed) else EXIT_OK


def _parse(args) -> int:
    if args.engine == "local" or not args.scheduler:
        from .batch.dask import SERVER_MODULES
        from .batch.local import start_server

        # The fork server loads the pipeline while this process imports and scans. A Dask
        # LocalCluster forks its workers from it too.
        start_server(() if args.engine == "local" else SERVER_MODULES)
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
                           doc_memory_mb=args.doc_memory, resume=args.resume)
    try:
        summary = run(args.paths, settings)
    except (FileNotFoundError, EngineError, DatasetError) as exc:
        print(f"extract: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except Interrupted as exc:
        print(f"\nextract: interrupted after {exc.summary.documents} documents were written to {args.out}; "
              "run the same command with --resume to parse the rest", file=sys.stderr)
        return EXIT_INTERRUPTED
    for source, error in summary.failures[:20]:
        print(f"failed: {source}: {error}", file=sys.stderr)
    if len(summary.failures) > 20:
        print(f"… and {len(summary.failures) - 20} more failed (see reports.status)", file=sys.stderr)
    print(summary.line(), file=sys.stderr)
    return EXIT_FAILED if summary.failed else EXIT_OK


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
    import parsers
    from parsers.model import Heading, Table

    from .report import find_sections, load_schema, parse_bytes

    path = Path(args.file)
    try:
        data = path.read_bytes()
    except OSError as exc:
        print(f"extract: cannot read {path}: {exc.strerror or exc}", file=sys.stderr)
        return EXIT_USAGE
    report = parse_bytes(data, source=str(path))
    out = sys.stdout
    print(f"# {path}", file=out)
    print(f"report_id {report.report_id}\nformat {report.format} {report.encoding}  status {report.status}"
          f"  template {report.template}", file=out)
    print(f"title {report.title!r}\nagency {report.agency!r}  year {report.year}  region "
          f"{report.province} {report.city} {report.county} {report.adcode}", file=out)
    if report.error:
        print(f"error: {report.error}", file=out)
    if report.status == "failed" and not report.format:
        return EXIT_FAILED
    doc = parsers.read(data, name=str(path))
    heads = {s.block: s for s in find_sections(doc, load_schema())}
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
    bad = [c for c in report.checks if c.status != "pass"]
    print(f"\n## Checks: {len(report.checks) - len(bad)} pass, "
          f"{sum(c.status == 'fail' for c in bad)} fail, {sum(c.status == 'not_assessable' for c in bad)} not assessable",
          file=out)
    for c in bad:
        print(f"{c.status:15} {c.check}: {c.lhs} vs {c.rhs} {c.note}", file=out)
    return EXIT_OK
