"""The ``pdcorpus`` command: build, validate, inspect."""

from __future__ import annotations

import argparse
import json
import os
import sys
import traceback
from collections import Counter
from typing import Sequence

from pdcorpus._version import __version__
from pdcorpus.builder import BuildError, build
from pdcorpus.config import ConfigError, LoadedConfig, load_config
from pdcorpus.errors import describe
from pdcorpus.locations import is_url, resolve
from pdcorpus.manifest import Manifest
from pdcorpus.io.readers import InputError
from pdcorpus.ownership import LOCK_FILE, OwnershipError, check_places
from pdcorpus.optout import OptOutError
from pdcorpus.publish.hub import PublishError
from pdcorpus.stages.optout import OptOutListError
from pdcorpus.redact import redact
from pdcorpus.runners import TaskFailed
from pdcorpus.tasks import StrictModeError


def _table(rows: list[list[str]], header: list[str]) -> str:
    widths = [max(len(str(r[i])) for r in [header] + rows) for i in range(len(header))]
    fmt = lambda r: "  ".join(str(c).rjust(w) if i and str(c).replace(",", "").isdigit() else str(c).ljust(w)
                              for i, (c, w) in enumerate(zip(r, widths)))
    return "\n".join([fmt(header), fmt(["-" * w for w in widths])] + [fmt(r) for r in rows])


def summary(manifest: Manifest | dict) -> str:
    m = Manifest.of(manifest)
    rows = []
    for stage in m.stages:
        reasons = [f"{r} {n:,}" for r, n in stage.dropped.items()] or ["-"]
        rows.append([stage.scope, stage.stage, f"{stage.records_in:,}", f"{stage.records_out:,}", reasons[0]])
        rows.extend(["", "", "", "", more] for more in reasons[1:])
    out = [_table(rows, ["scope", "stage", "in", "out", "set aside (reason count)"]), ""]
    src_rows = [[name, f"{s.records_read:,}", f"{s.records_out:,}", f"{s.shards:,}", f"{s.bytes:,}"]
                for name, s in m.sources.items()]
    out += [_table(src_rows, ["source", "read", "out", "shards", "bytes"]), ""]
    seconds = m.timings.total_seconds
    rate = m.records_in / seconds if seconds else 0
    out.append(f"{m.records_out:,} records in {len(m.shards)} shards; "
               f"{m.rejects.count:,} set aside, {m.review.count:,} for review; "
               f"{seconds:.1f} s ({rate:,.0f} records/s)")
    return "\n".join(out)


def _with_runner(loaded: LoadedConfig, name: str | None, address: str | None) -> LoadedConfig:
    """The corpus file's ``runner:`` with ``--runner`` / ``--address`` over it, validated alike."""
    from pydantic import ValidationError

    from pdcorpus.config import RunnerConfig

    data = loaded.config.runner.model_dump(exclude_unset=True)
    if name is not None and name != data.get("name", "local"):
        data = {"name": name}  # the file's options are for its own runner
    if address is not None:
        data["address"] = address
    try:
        loaded.config.runner = RunnerConfig.model_validate(data)
    except ValidationError as exc:
        raise BuildError("--runner/--address: " + "; ".join(e["msg"].removeprefix("Value error, ")
                                                              for e in exc.errors())) from None
    return loaded


def cmd_build(args: argparse.Namespace) -> int:
    config = load_config(args.config, output=args.output, limit=args.limit) \
        if args.limit or args.runner or args.address else args.config
    if args.runner or args.address:
        config = _with_runner(config, args.runner, args.address)
    manifest = build(config, output=args.output, workers=args.workers, fresh=args.fresh,
                     strict=args.strict, keep_work=args.keep_work, progress=not args.quiet,
                     break_lock=args.break_lock, profile=args.profile)
    m = Manifest.of(manifest)
    print(summary(m))
    if m.profile is not None:
        from pdcorpus.profiling import format_profile

        print(f"\nprofile (also in manifest.json, key profile):\n{format_profile(m.profile)}\n")
    out = args.output
    if out is None:  # the file's output (as written), relative to the file's folder: shown from here
        out = str(m.config.get("output"))
        if "${" not in out:
            out = resolve(out, os.path.dirname(os.path.abspath(args.config)))
        if "${" not in out and not is_url(out) and not os.path.relpath(out).startswith(".."):
            out = os.path.relpath(out)
    print(f"output: {redact(out)}  (data/, manifest.json, README.md dataset card, training-data-summary.md/.json)")
    published = m.published
    if published and m.publish is not None:  # the commit the Hub made, so the user can find and cite it
        print(f"published: {m.publish.repo}@{m.publish.revision or 'main'} commit {published['oid']} "
              f"{published['url']}")
    return 0


def cmd_validate(args: argparse.Namespace) -> int:
    loaded = load_config(args.config)
    cfg = loaded.config
    try:  # the places a build would write: not a root, not among the inputs
        check_places(cfg.output, cfg.work_dir, {s.name: s.read.paths for s in cfg.sources})
    except OwnershipError as exc:
        raise BuildError(str(exc)) from None
    print(f"{args.config}: valid corpus '{cfg.name}': {len(cfg.sources)} sources "
          f"({', '.join(s.name for s in cfg.sources)}), {len(cfg.stages)} global stages, output {redact(cfg.output)}")
    if args.inputs:
        from pdcorpus.plan import make_plan
        plan = make_plan(loaded)
        for source, files in plan.inputs.items():
            print(f"  {source}: {len(files)} files, {sum(f.size for f in files):,} bytes")
    return 0


def cmd_inspect(args: argparse.Namespace) -> int:
    import fsspec
    import pyarrow.parquet as pq

    from pdcorpus.io.parquet import open_arrow

    fs, root = fsspec.core.url_to_fs(args.output)
    root = root.rstrip("/")
    manifest_path = f"{root}/manifest.json"
    if not fs.exists(manifest_path):
        raise BuildError(f"{args.output}: no manifest.json; is this the output of a finished build?")
    with fs.open(manifest_path, "r") as fh:
        manifest = Manifest.from_json(json.load(fh))
    licenses: Counter = Counter()
    languages: Counter = Counter()
    sources: Counter = Counter()
    rows = []
    for shard in manifest.shards:
        with open_arrow(fs, f"{root}/{shard.path}") as fh:
            table = pq.ParquetFile(fh).read(columns=["source", "license", "license_raw", "language"])
        rows.append([shard.path, f"{table.num_rows:,}", f"{shard.bytes:,}"])
        for source, lic, raw, lang in zip(*(table.column(c).to_pylist() for c in table.column_names)):
            sources[source] += 1
            licenses[lic or (f"(not normalized) {raw}" if raw else "(none)")] += 1
            languages[lang or "(not detected)"] += 1
    if args.json:
        print(json.dumps({"name": manifest.name, "records_out": manifest.records_out,
                          "shards": [s.to_json() for s in manifest.shards], "sources": dict(sources),
                          "licenses": dict(licenses.most_common()), "languages": dict(languages.most_common()),
                          "rights_decisions": {n: s.rights_decisions for n, s in manifest.sources.items()},
                          "review": manifest.review.to_json()},
                         indent=2, ensure_ascii=False))
        return 0
    print(f"{manifest.name}: {manifest.records_out:,} records, built {manifest.created_at} "
          f"by pdcorpus {manifest.pdcorpus_version}\n")
    print(_table(rows, ["shard", "rows", "bytes"]) + "\n")
    for title, counter in (("source", sources), ("license", licenses), ("language", languages)):
        print(_table([[k, f"{v:,}"] for k, v in counter.most_common(args.top)], [title, "records"]) + "\n")
    decisions = [[name, key, f"{n:,}"] for name, src in manifest.sources.items()
                 for key, n in src.rights_decisions.items()]
    if decisions:
        print(_table(decisions, ["source", "rights decision: reason", "records"]) + "\n")
        review = manifest.review
        print(f"{review.count:,} records for review in {len(review.files)} files under review/")
    return 0


def cmd_rights_check(args: argparse.Namespace) -> int:
    from datetime import date

    from pdcorpus.rights.licenses import lookup
    from pdcorpus.rights.normalize import normalize
    from pdcorpus.rights.pd_by_date import JURISDICTIONS
    from pdcorpus.rights.policy import DEFAULT_JURISDICTIONS, RightsPolicy

    jurisdictions = [j.strip().upper() for item in (args.jurisdiction or DEFAULT_JURISDICTIONS)
                     for j in item.split(",") if j.strip()]
    bad = [j for j in jurisdictions if j not in JURISDICTIONS]
    if bad:
        raise BuildError(f"unknown jurisdiction {', '.join(bad)}; known: {', '.join(JURISDICTIONS)}")
    policy = RightsPolicy(args.policy, jurisdictions, date.fromisoformat(args.as_of) if args.as_of else None,
                          dates_without_statement=args.dates_without_statement)
    if args.file:
        with open(args.file, encoding="utf-8") as fh:
            statements = [line.rstrip("\n") for line in fh if line.strip()]
    elif args.statement is not None:
        statements = [args.statement]
    else:
        raise BuildError("give a STATEMENT or --file FILE")
    for statement in statements:
        normalized = normalize(statement)
        decision = policy.decide(normalized, args.published, args.died)
        if args.json:
            out = decision.to_dict()
            if args.file:
                out = {"statement": statement, **out}
            print(json.dumps(out, ensure_ascii=False))
            continue
        title = lookup(decision.license).title
        if args.file:
            print(f"{decision.decision:<7} {decision.license:<22} {decision.reason:<28} {statement}")
        else:
            print(f"statement: {statement}\nlicense:   {decision.license}  ({title}; read as {normalized.how})\n"
                  f"decision:  {decision.decision}\nreason:    {decision.reason}\nrule:      {decision.rule}")
    return 0


def cmd_publish(args: argparse.Namespace) -> int:
    from pdcorpus.publish.hub import publish

    result = publish(args.output, args.repo, private=args.private, revision=args.revision, dry_run=args.dry_run)
    files = result["files"]
    verb = "would commit" if args.dry_run else "committed"
    print(f"{verb} to dataset {result['repo']} @ {result['revision']}{' (private)' if result['private'] else ''}: "
          f"{len(files)} files, {sum(f['bytes'] for f in files):,} bytes")
    print(f"  message: {result['commit']['summary']}")
    for f in files:
        print(f"  {f['path']}  {f['bytes']:,} bytes  sha256 {f['sha256']}")
    if not args.dry_run:
        print(f"commit {result['commit']['oid']}: {result['commit']['url']}")
    return 0


def cmd_verify(args: argparse.Namespace) -> int:
    from pdcorpus.verify import verify

    problems = verify(args.output)
    if problems:
        print(f"{args.output}: {len(problems)} problems", file=sys.stderr)
        for problem in problems:
            print(f"  {problem}", file=sys.stderr)
        return 1
    print(f"{args.output}: shards, counts and checksums match the manifest; the card's configs match files")
    return 0


def cmd_optout_apply(args: argparse.Namespace) -> int:
    from pdcorpus.optout import apply_removals, commit_message
    from pdcorpus.publish.hub import publish, require_token

    repo = None
    if args.publish:  # the target and the token are checked before anything is removed
        repo = args.repo
        if repo is None:
            import fsspec

            try:
                with fsspec.open(f"{args.output.rstrip('/')}/manifest.json", "r", encoding="utf-8") as fh:
                    repo = ((json.load(fh).get("config") or {}).get("publish") or {}).get("repo")
            except (OSError, ValueError):
                repo = None
        if not repo:
            raise BuildError("--publish needs --repo ORG/NAME (the corpus file names no publish.repo)")
        require_token(repo)
    result = apply_removals(args.output, args.list, reason=args.reason, break_lock=args.break_lock)
    if result.finished_pending:
        print(f"{args.output}: finished the removal an earlier `optout apply` had begun")
    if not result.removed:
        print(f"{args.output}: no record matches the lists; nothing changed"
              + ("; nothing published (if an earlier correction was not published, run `pdcorpus publish`)"
                 if args.publish else ""))
        return 0
    lists = ", ".join(f"{name} {n:,}" for name, n in sorted(result.by_list.items()))
    print(f"{args.output}: removed {result.removed:,} records ({lists}) from {len(result.shards)} shards; "
          f"tombstones in removals.jsonl; manifest.json, README.md and the training-data summary updated")
    for path in result.shards:
        print(f"  rewrote {path}")
    if repo:
        published = publish(args.output, repo, revision=args.revision, only=result.changed_files,
                            message=commit_message(result))
        print(f"published to {repo}@{published['revision']}: {len(published['files'])} files in commit "
              f"{published['commit']['oid']} {published['commit']['url']}")
    return 0


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="pdcorpus", description=__doc__)
    p.add_argument("--version", action="version", version=f"pdcorpus {__version__}")
    p.add_argument("--debug", action="store_true", help="show the traceback of an error (after the message)")
    sub = p.add_subparsers(dest="command", required=True)

    b = sub.add_parser("build", help="build the corpus described by a corpus file")
    b.add_argument("config")
    b.add_argument("--output", help="output folder or fsspec URL (overrides the file's 'output')")
    b.add_argument("--workers", type=int, help="worker processes (default: number of cores); with --runner ray, "
                                               "tasks in flight (default: the cluster's CPUs)")
    b.add_argument("--runner", choices=["local", "ray"],
                   help="where tasks run (overrides the file's runner:): local processes, or a Ray cluster")
    b.add_argument("--address", help="the Ray cluster: auto (the one on this node), ray://HOST:10001, HOST:PORT "
                                     "(default: RAY_ADDRESS, or a new local one)")
    b.add_argument("--fresh", action="store_true", help="start over instead of resuming an interrupted build")
    b.add_argument("--strict", action="store_true", help="fail on the first malformed input instead of setting it aside")
    b.add_argument("--keep-work", action="store_true", help="keep the work folder (exchange files, markers)")
    b.add_argument("-q", "--quiet", action="store_true", help="no progress bars")
    b.add_argument("--profile", action="store_true",
                   help="time and sizes per phase and stage: printed, and in manifest.json (key profile)")
    b.add_argument("--limit", type=int, metavar="N",
                   help="read at most N records of each source (a slice, to try a corpus file; sets read.limit)")
    b.add_argument("--break-lock", action="store_true",
                   help=f"take the output's lock ({LOCK_FILE}) from a build that is no longer running "
                        "(check its host and pid first)")
    b.set_defaults(func=cmd_build)

    v = sub.add_parser("validate", help="check a corpus file without building")
    v.add_argument("config")
    v.add_argument("--inputs", action="store_true", help="also find the input files")
    v.set_defaults(func=cmd_validate)

    i = sub.add_parser("inspect", help="what a build produced: shards, rows, sources, licenses, languages")
    i.add_argument("output")
    i.add_argument("--json", action="store_true")
    i.add_argument("--top", type=int, default=20, help="rows per table")
    i.set_defaults(func=cmd_inspect)

    r = sub.add_parser("rights", help="rights statements: normalize and decide")
    rsub = r.add_subparsers(dest="rights_command", required=True)
    c = rsub.add_parser("check", help="the canonical licence and the decision for a statement")
    c.add_argument("statement", nargs="?", help="a rights statement: URL, name, SPDX id, free text, or a JSON object")
    c.add_argument("--file", help="one statement a line")
    c.add_argument("--policy", choices=["public-domain", "open"], default="public-domain")
    c.add_argument("--jurisdiction", action="append", help="target jurisdiction(s), e.g. US or US,EU (default US,EU)")
    c.add_argument("--as-of", help="date for public domain by date (default: today)")
    c.add_argument("--published", type=int, help="publication year")
    c.add_argument("--died", type=int, help="author's death year")
    c.add_argument("--dates-without-statement", choices=["review", "allow"], default="review",
                   help="an empty statement that the dates make public domain: review (default) or allow")
    c.add_argument("--json", action="store_true", help="one JSON object: license, decision, reason, rule")
    c.set_defaults(func=cmd_rights_check)

    pb = sub.add_parser("publish", help="upload a build to the Hugging Face Hub in one commit")
    pb.add_argument("output")
    pb.add_argument("--repo", required=True, help="ORG/NAME of the dataset repository")
    pb.add_argument("--private", action="store_true")
    pb.add_argument("--revision", help="branch to commit to (default: main)")
    pb.add_argument("--dry-run", action="store_true", help="list every file with size and sha256; upload nothing")
    pb.set_defaults(func=cmd_publish)

    vf = sub.add_parser("verify", help="check a build's shards, counts and card against its manifest")
    vf.add_argument("output")
    vf.set_defaults(func=cmd_verify)

    oo = sub.add_parser("optout", help="opt-outs: remove records from a finished build")
    oosub = oo.add_subparsers(dest="optout_command", required=True)
    oa = oosub.add_parser("apply", help="remove the records opt-out lists name from a finished build (and the Hub)")
    oa.add_argument("output")
    oa.add_argument("--list", action="append", required=True,
                    help="an opt-out list (url:, prefix:, domain:, id:, hash: lines, or CSV kind,value[,reason]); "
                         "repeatable")
    oa.add_argument("--reason", help="the reason recorded with each removal (default: the list's own)")
    oa.add_argument("--publish", action="store_true",
                    help="push the correction to the Hub in one commit (only the changed files)")
    oa.add_argument("--repo", help="ORG/NAME for --publish (default: the corpus file's publish.repo)")
    oa.add_argument("--revision", help="branch for --publish (default: main)")
    oa.add_argument("--break-lock", action="store_true", help=f"take the output's lock ({LOCK_FILE}) from a dead process")
    oa.set_defaults(func=cmd_optout_apply)
    # --debug is accepted after the command too (pdcorpus build c.yaml --debug)
    for command in (b, v, i, c, pb, vf, oa):
        command.add_argument("--debug", action="store_true", default=argparse.SUPPRESS, help=argparse.SUPPRESS)
    return p


def _message(exc: Exception) -> str:
    """What the command prints for an error: pdcorpus's own say what to do; others get one sentence."""
    if isinstance(exc, TaskFailed):
        inner = exc.error
        said = str(inner) if isinstance(inner, (BuildError, InputError, PublishError, StrictModeError)) \
            else describe(inner)
        return f"{exc.phase.name}: {exc.label}: {said}"
    if isinstance(exc, (BuildError, InputError, PublishError, OptOutError, OptOutListError, OwnershipError)):
        return str(exc)
    return describe(exc)


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        return args.func(args)
    except BrokenPipeError:  # output piped into head and the like
        sys.stderr.close()
        return 0
    except KeyboardInterrupt:
        print("pdcorpus: interrupted; run the same command again to resume", file=sys.stderr)
        return 130
    except Exception as exc:  # noqa: BLE001 - every error ends in a sentence; --debug shows where it came from
        if args.debug:  # where it came from, with credentials and ${ENV} values masked as everywhere
            print(redact(traceback.format_exc()), file=sys.stderr, end="")
        if isinstance(exc, ConfigError):
            print("invalid corpus file:\n" + "\n".join(f"  {p}" for p in exc.problems), file=sys.stderr)
            return 2
        print(f"pdcorpus: {redact(_message(exc))}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
