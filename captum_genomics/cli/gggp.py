"""``captum-genomics gggp``: a GGGP local dataset and surrogate for a splice exon or site.

Each target (an internal exon with its neighbouring exons, one splice site, or each row of a
table) is read from a FASTA in transcript orientation, N-padded as SpliceAI reads it
(:func:`~captum_genomics.splicing.build_exon_input`,
:func:`~captum_genomics.splicing.build_site_input`), scored by SpliceAI through the exact
incremental scorer (``--plain``: the plain one), searched by GGGP (or random sampling) and
explained by a surrogate.  Every argument, the output directory and every target are checked
before the model is loaded.

Outputs in ``--output-dir``, per target ``NAME``:

``NAME.dataset.tsv``
    The local dataset (:meth:`~captum_genomics.gggp.LocalDataset.to_tsv`; read it back with
    ``LocalDataset.from_tsv``).  Phenotypes are in input positions (indices into the padded
    input, transcript orientation).
``NAME.coefficients.tsv``
    The surrogate's features: ``chrom start end strand kind effect attribution``; ``start`` and
    ``end`` are the 1-based inclusive genome span of the feature window, ``effect`` the predicted
    score change when the window is edited, ``attribution = -effect``.
``NAME.attributions.tsv``
    Per-base attributions: ``chrom position strand base attribution``, one row per genome base
    of the input (1-based positions, ascending; ``base`` as read in transcript orientation).
``NAME.motif_enrichment.tsv``, ``NAME.motif_surrogate.tsv`` (with ``--motifs``)
    Which motif occurrences the individuals create or break, and how that goes with the score
    change (:func:`~captum_genomics.motifs.motif_enrichment`: effect sizes, Mann–Whitney U,
    Benjamini–Hochberg q); the motif-level lasso's features (motif gained / lost) ranked by
    ``|coefficient|`` (:func:`~captum_genomics.motifs.fit_motif_surrogate`).
``summary.tsv``
    One row per target: settings, the original score, dataset size, archive quality, mean edit
    distance, held-out fidelity R² and Spearman (with ``--motifs``: the motif surrogate's top
    feature and held-out R²).
``report.html`` and ``figures/``
    The run's report (settings, versions, the summary table and, per target, the archive's
    score histogram, archive quality against evaluations, where the edits fall and the
    per-base attributions along the genome; with ``--motifs``, the motif surrogate's
    coefficients with the enrichment q-values), its figures also as PNG.

Table format (``--table``): tab-separated with a header line naming the columns ``name chrom
strand upstream_exon exon downstream_exon``; exons are ``start-end`` (1-based inclusive), the
cassette exon with its upstream and downstream exons in transcript order.
"""

from __future__ import annotations

import argparse
import csv
import dataclasses
import importlib.metadata
import re
import time
from pathlib import Path

import numpy as np

from captum_genomics._atomic import write_table
from captum_genomics.cli._common import (
    REPORT_LIMIT,
    UsageError,
    check_device,
    check_output_dir,
    file_stem,
    non_negative_int,
    option_settings,
    positive_int,
    run_command,
    weights_source,
)
from captum_genomics.dna.annotations import read_bed
from captum_genomics.example_data import TUBB8, Transcript, example_fasta_path

#: One-line summary shown by ``captum-genomics --help``.
HELP = "a GGGP local dataset and surrogate for a splice exon or site (SpliceAI)"

MODELS = {"spliceai": "spliceai==1.3.1", "cispliceai": "cispliceai==1.2.2"}
TABLE_COLUMNS = ("name", "chrom", "strand", "upstream_exon", "exon", "downstream_exon")
_EXON = re.compile(r"^(?P<chrom>[^:\s]+):(?P<start>\d[\d,]*)-(?P<end>\d[\d,]*):(?P<strand>[+-])$")
_SITE = re.compile(r"^(?P<chrom>[^:\s]+):(?P<pos>\d[\d,]*):(?P<strand>[+-])$")
_SPAN = re.compile(r"^(?P<start>\d+)-(?P<end>\d+)$")


@dataclasses.dataclass(frozen=True)
class Target:
    """One thing to explain: an exon of a transcript, or one splice site."""

    name: str
    transcript: Transcript | None = None
    exon: tuple[int, int] | None = None
    site: tuple[str, int, str] | None = None
    kind: str = "exon"


@dataclasses.dataclass
class TargetResult:
    """What a run produced for one target (what the summary and a report read)."""

    target: Target
    dataset: object
    fit: object
    summary: dict
    files: list[Path]
    built: object = None  # the model input (ExonInput or SiteInput): genome coordinates
    grammar: object = None  # what parses the dataset's phenotypes (motif units included)
    motif_analysis: tuple | None = None  # (MotifSurrogate, enrichment MotifTable) with --motifs


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the options of ``captum-genomics gggp`` to its subparser."""
    what = parser.add_argument_group("what to explain (give one)")
    choice = what.add_mutually_exclusive_group(required=True)
    choice.add_argument("--exon", metavar="CHR:START-END:STRAND",
                        help="an internal exon, 1-based inclusive (e.g. chr10:94744-94852:-)")
    choice.add_argument("--site", metavar="CHR:POS:STRAND",
                        help="one splice site (acceptor = first exon base, donor = last)")
    choice.add_argument("--table", metavar="TSV",
                        help="exons with their neighbours, one dataset per row (columns: "
                             + " ".join(TABLE_COLUMNS) + "; exons as start-end)")
    what.add_argument("--kind", choices=("acceptor", "donor"),
                      help="kind of --site (required with --site)")
    what.add_argument("--exons-bed", metavar="BED",
                      help="the transcript's exons for --exon (default: the embedded TUBB8 "
                           "transcript, when the exon is one of its exons)")
    what.add_argument("--fasta", metavar="FA",
                      help="reference genome (default: the embedded chr10 example FASTA)")
    what.add_argument("--max-distance", type=non_negative_int, default=5000,
                      help="nt read and edited on each side (default 5000)")
    model = parser.add_argument_group("model")
    model.add_argument("--model", choices=tuple(MODELS), default="spliceai")
    model.add_argument("--members", type=positive_int, nargs="+", metavar="I",
                       help="1-based ensemble members to keep (default all five)")
    model.add_argument("--plain", action="store_true",
                       help="score with the plain scorer instead of the exact incremental one")
    model.add_argument("--device", default="cpu", help="torch device (default cpu)")
    model.add_argument("--threads", type=positive_int, help="torch CPU threads")
    search = parser.add_argument_group("search and surrogate")
    search.add_argument("--evaluations", type=positive_int, default=2000,
                        help="model evaluations per target (default 2000)")
    search.add_argument("--population", type=positive_int, default=100,
                        help="individuals per generation (default 100)")
    search.add_argument("--generations", type=positive_int, help="most generations")
    search.add_argument("--time", type=float, metavar="SECONDS",
                        help="wall-time budget per target")
    search.add_argument("--fitness", choices=("binfiller", "iad"), default="binfiller")
    search.add_argument("--strategy", choices=("gggp", "random"), default="gggp",
                        help="GGGP, or the random-sampling baseline")
    search.add_argument("--admission", choices=("fitness", "all"), default="fitness",
                        help="archive only individuals of positive fitness after generation 0 "
                             "(the method; default) or every distinct scored one")
    search.add_argument("--prune", action="store_true",
                        help="prune the archive at the end: drop edit units whose removal "
                             "leaves the score unchanged, repeated until none can go")
    search.add_argument("--prune-tolerance", type=float, metavar="DELTA",
                        help="'unchanged' for --prune: within DELTA of the archived score "
                             "(default: equal at 4 decimals, the reference's rule)")
    search.add_argument("--motifs", metavar="MEME",
                        help="add units that insert, delete or mutate motif occurrences (a "
                             "MEME file, or 'default' for the shipped splicing set), and "
                             "write a motif analysis of each local dataset")
    search.add_argument("--motif-strands", choices=("+", "both"), default="+",
                        help="strands scanned for motif occurrences (default +: RNA motifs)")
    search.add_argument("--seed", type=non_negative_int, default=0)
    search.add_argument("--feature-width", type=positive_int, default=10,
                        help="bases per surrogate feature (default 10)")
    search.add_argument("--interpretable-model", choices=("lasso", "tree"), default="lasso")
    out = parser.add_argument_group("output")
    out.add_argument("--output-dir", required=True, help="folder for the TSV outputs")
    out.add_argument("--force", action="store_true", help="overwrite existing outputs")
    out.add_argument("--quiet", action="store_true", help="no progress")


def run(args: argparse.Namespace) -> int:
    """Run ``captum-genomics gggp`` with parsed options; returns the exit status."""
    return run_command("gggp", _run, args)


def _run(args: argparse.Namespace) -> int:
    fasta = Path(args.fasta) if args.fasta else example_fasta_path()
    if not fasta.is_file():
        raise UsageError(f"--fasta {fasta} does not exist; give a FASTA file (indexed or not)")
    targets = _targets(args)
    settings = search_settings(args)
    check_model(args)
    motifs = _motifs(args)
    inputs = [build_input(target, fasta, args.max_distance) for target in targets]
    output_dir = _check_output_dir(args, targets)

    import torch

    from captum_genomics.models import load_spliceai

    if args.threads:
        torch.set_num_threads(args.threads)
    model = load_spliceai(args.model, members=args.members, device=args.device)
    results = []
    for target, built in zip(targets, inputs):
        _say(args, f"{target.name}: {len(built.sequence)} nt input, searching "
                   f"{args.evaluations} evaluations ({args.strategy})")
        results.append(explain_target(args, model, settings, target, built, output_dir, motifs))
    settings = {**option_settings(args), "fasta read": str(fasta),
                "weights": weights_source(args.model)}
    finish(output_dir, results, quiet=args.quiet, settings=settings)
    return 0


def search_settings(args: argparse.Namespace):
    """The :class:`~captum_genomics.gggp.search.SearchSettings` of the search options.

    Raises
    ------
    UsageError
        If the options do not make valid settings.
    """
    from captum_genomics.gggp.search import SearchSettings

    try:
        return SearchSettings(
            strategy=args.strategy, fitness=args.fitness, population_size=args.population,
            max_evaluations=args.evaluations,
            max_time=args.time, max_generations=args.generations, admission=args.admission,
            prune="end" if args.prune else "none", prune_repeat=True,
            prune_tolerance=args.prune_tolerance,
        )
    except ValueError as problem:
        raise UsageError(f"{problem}: fix the search options") from None


def finish(output_dir: Path, results: list[TargetResult], quiet: bool = False,
           settings: dict | None = None) -> None:
    """Write ``summary.tsv`` and ``report.html`` of a run's results and say where they are.

    Parameters
    ----------
    output_dir : Path
        The run's output folder.
    results : list of TargetResult
        One per target, in order.
    quiet : bool
        Print nothing.
    settings : dict, optional
        The run's settings, stated in the report.
    """
    rows = [r.summary for r in results]
    columns = list(rows[0])
    table = [[row[c] for c in columns] for row in rows]
    write_table(output_dir / "summary.tsv", table, columns)
    _write_report(output_dir, results, settings or {}, (columns, table))
    if not quiet:
        for row in rows:
            print(f"{row['name']}: {row['rows']} sequences, archive quality "
                  f"{row['archive_quality']:.3f}, mean edit distance "
                  f"{row['mean_edit_distance']:.1f}, held-out R2 {row['r2']:.2f}, "
                  f"Spearman {row['spearman']:.2f}")
        tables = sum(len(r.files) for r in results) + 1
        print(f"wrote {tables} tables and report.html to {output_dir} (open "
              f"{output_dir / 'report.html'} in a browser)")


def _say(args, message: str) -> None:
    if not args.quiet:
        print(message, flush=True)


def _number(text: str) -> int:
    return int(text.replace(",", ""))


def _targets(args: argparse.Namespace) -> list[Target]:
    """The targets the arguments name, checked (no file but BED / TSV is read)."""
    if args.kind is not None and args.site is None:
        raise UsageError("--kind applies to --site only; drop it, or give --site")
    if args.exons_bed is not None and args.exon is None:
        raise UsageError("--exons-bed applies to --exon only; drop it, or give --exon")
    if args.site is not None:
        match = _SITE.match(args.site)
        if match is None:
            raise UsageError(f"--site {args.site!r} is not CHR:POS:STRAND, e.g. chr10:94852:-")
        if args.kind is None:
            raise UsageError("--site needs --kind acceptor or --kind donor")
        site = (match["chrom"], _number(match["pos"]), match["strand"])
        return [Target(f"{site[0]}_{site[1]}_{args.kind}", site=site, kind=args.kind)]
    if args.exon is not None:
        match = _EXON.match(args.exon)
        if match is None:
            raise UsageError(
                f"--exon {args.exon!r} is not CHR:START-END:STRAND, e.g. chr10:94744-94852:-")
        chrom, strand = match["chrom"], match["strand"]
        exon = (_number(match["start"]), _number(match["end"]))
        transcript = _transcript(args.exons_bed, chrom, strand, exon)
        return [Target(f"{chrom}_{exon[0]}-{exon[1]}", transcript, exon)]
    return _table(Path(args.table))


def _transcript(bed, chrom: str, strand: str, exon: tuple[int, int]) -> Transcript:
    """The transcript holding ``exon``: from ``bed``, or TUBB8 when it is one of its exons."""
    if bed is None:
        if chrom == TUBB8.chrom and strand == TUBB8.strand and exon in TUBB8.exons:
            return TUBB8
        raise UsageError(
            f"exon {chrom}:{exon[0]}-{exon[1]}:{strand} is not an exon of the embedded TUBB8 "
            "transcript; give its transcript's exons with --exons-bed BED")
    if not Path(bed).is_file():
        raise UsageError(f"--exons-bed {bed} does not exist; give a BED file of the exons")
    try:
        spans = sorted({(i.start, i.end) for i in read_bed(bed) if i.chrom == chrom})
        transcript = Transcript(Path(bed).stem, chrom, strand, tuple(spans))
    except ValueError as problem:
        raise UsageError(f"--exons-bed {bed}: {problem}") from None
    if exon not in transcript.exons:
        raise UsageError(f"--exon {chrom}:{exon[0]}-{exon[1]} is not in --exons-bed {bed}; "
                         "give one of its exons")
    return transcript


def _table(path: Path) -> list[Target]:
    """The targets of a ``--table`` TSV, every row checked."""
    targets, names = [], set()
    for number, row in enumerate(table_rows(path), start=2):
        target = table_target(path, number, row)
        if target.name in names:
            raise UsageError(f"--table {path} line {number}: name {row['name']!r} is empty "
                             "or repeated; give each row its own name")
        names.add(target.name)
        targets.append(target)
    return targets


def table_rows(path: Path) -> list[dict]:
    """The rows of a ``--table`` TSV (column -> text), its header checked.

    Raises
    ------
    UsageError
        If the file is missing, or lacks the header of :data:`TABLE_COLUMNS` or any row.
    """
    if not path.is_file():
        raise UsageError(f"--table {path} does not exist; give a TSV with columns "
                         + " ".join(TABLE_COLUMNS))
    with open(path, encoding="utf-8-sig") as handle:
        rows = list(csv.DictReader((line for line in handle if not line.startswith("#")),
                                   delimiter="\t"))
    if not rows or set(TABLE_COLUMNS) - set(rows[0]):
        raise UsageError(f"--table {path} needs a header line with columns "
                         + " ".join(TABLE_COLUMNS) + " and at least one row")
    return rows


def table_target(path: Path, number: int, row: dict) -> Target:
    """The :class:`Target` of one ``--table`` row (``number``: its line, for messages).

    Raises
    ------
    UsageError
        If an exon is not ``START-END``, the name is empty or the exons make no transcript.
    """
    spans = []
    for column in ("upstream_exon", "exon", "downstream_exon"):
        match = _SPAN.match((row[column] or "").replace(",", ""))
        if match is None:
            raise UsageError(f"--table {path} line {number}: {column} {row[column]!r} is "
                             "not START-END (1-based inclusive)")
        spans.append((int(match["start"]), int(match["end"])))
    name = re.sub(r"[^\w.-]", "_", row["name"] or "")
    if not name:
        raise UsageError(f"--table {path} line {number}: name {row['name']!r} is empty or "
                         "repeated; give each row its own name")
    try:
        transcript = Transcript(name, row["chrom"], row["strand"], tuple(sorted(spans)))
    except ValueError as problem:
        raise UsageError(f"--table {path} line {number}: {problem}") from None
    return Target(name, transcript, spans[1])


def check_model(args: argparse.Namespace) -> None:
    """Check ``--model`` (its weights installed), ``--members`` and ``--device``; UsageError
    naming the fix."""
    if args.members and not all(1 <= m <= 5 for m in args.members):
        raise UsageError(f"--members {args.members}: members are numbered 1 to 5")
    try:
        importlib.metadata.distribution(args.model)
    except importlib.metadata.PackageNotFoundError:
        raise UsageError(f"--model {args.model} needs its weights: pip install --no-deps "
                         f"{MODELS[args.model]}") from None
    check_device(args.device)


def build_input(target: Target, fasta: Path, max_distance: int):
    """The SpliceAI input of ``target`` read from ``fasta`` (an ``ExonInput`` or ``SiteInput``);
    UsageError naming the target if it cannot be read."""
    from captum_genomics.splicing import build_exon_input, build_site_input

    if max_distance < 0:
        raise UsageError(f"--max-distance must be >= 0, got {max_distance}")
    try:
        if target.site is not None:
            chrom, position, strand = target.site
            return build_site_input(chrom, position, strand, target.kind, fasta, max_distance)
        return build_exon_input(target.transcript, target.exon, fasta, max_distance)
    except ValueError as problem:
        raise UsageError(f"{target.name}: {problem}") from None


_SUFFIXES = ("dataset.tsv", "coefficients.tsv", "attributions.tsv")
_FIGURES = ("scores", "quality", "edits", "track")  # per target, in figures/
_MOTIF_FIGURES = ("motifs",)  # per target, with --motifs
_MOTIF_SUFFIXES = ("motif_enrichment.tsv", "motif_surrogate.tsv")


def _motifs(args: argparse.Namespace):
    """The motifs of ``--motifs``, read before any work (``None`` without the option)."""
    if args.motifs is None:
        return None
    try:
        from captum_genomics.motifs import load_motifs
    except ModuleNotFoundError as missing:
        raise UsageError(f"--motifs needs {missing.name}: pip install 'captum-genomics[motifs]'"
                         ) from None
    try:
        return load_motifs(None if args.motifs == "default" else args.motifs)
    except (OSError, ValueError) as problem:
        raise UsageError(f"--motifs {args.motifs}: {problem}") from None


def _check_output_dir(args: argparse.Namespace, targets: list[Target]) -> Path:
    """The output folder, checked before any work; existing outputs need ``--force``."""
    folder = Path(args.output_dir)
    suffixes = _SUFFIXES + (_MOTIF_SUFFIXES if args.motifs else ())
    planned = [folder / f"{t.name}.{s}" for t in targets for s in suffixes]
    planned += [folder / "figures" / f"{file_stem(i, t.name)}_{figure}.png"
                for i, t in enumerate(targets[:REPORT_LIMIT])
                for figure in _FIGURES + (_MOTIF_FIGURES if args.motifs else ())]
    return check_output_dir(folder, args.force,
                            [*planned, folder / "summary.tsv", folder / "report.html"])


def explain_target(args, model, settings, target: Target, built, output_dir: Path,
                   motifs=None) -> TargetResult:
    """Search, fit and write one target's files (``output_dir/<name>.<suffix>``, seeded with
    ``args.seed``); returns what the summary and the report read."""
    from captum_genomics.attr.gggp import GGGPPerturbationExplainer
    from captum_genomics.dna.codec import one_hot
    from captum_genomics.gggp.archive import archive_quality
    from captum_genomics.metrics import edit_distance_distribution
    from captum_genomics.splicing import (
        IncrementalExonScorer,
        IncrementalSiteScorer,
        SpliceAIExonScorer,
        SpliceAISiteScorer,
    )

    start = time.perf_counter()
    if target.site is not None:
        cls = SpliceAISiteScorer if args.plain else IncrementalSiteScorer
        scorer = cls(model, built.site, target.kind, reference=built.sequence)
    else:
        cls = SpliceAIExonScorer if args.plain else IncrementalExonScorer
        scorer = cls(model, built.acceptor, built.donor, reference=built.sequence)
    grammar = built.grammar()
    explainer = GGGPPerturbationExplainer(
        scorer=scorer, grammar=grammar, settings=settings, length_policy="variable",
        interpretable_model=args.interpretable_model, feature_width=args.feature_width,
        model_name=args.model, motifs=motifs, motif_strands=args.motif_strands,
    )
    dataset = explainer.generate(one_hot(built.sequence), seed=args.seed,
                                 show_progress=not args.quiet)
    if len(dataset) < 2:
        raise UsageError(f"{target.name}: the search archived {len(dataset)} sequences; raise "
                         "--evaluations")
    fit = explainer.fit_surrogate(dataset, seed=args.seed)
    files = [output_dir / f"{target.name}.{s}" for s in _SUFFIXES]
    dataset.to_tsv(files[0])
    _write_coefficients(files[1], fit, built)
    _write_attributions(files[2], fit.per_position(), built)
    grammar = explainer.grammar_for(dataset.reference)
    motif_summary, motif_analysis = {}, None
    if motifs is not None:
        motif_files = [output_dir / f"{target.name}.{s}" for s in _MOTIF_SUFFIXES]
        motif_summary, motif_analysis = _write_motif_analysis(motif_files, dataset, motifs,
                                                              grammar, args)
        files += motif_files
    if target.site is not None:
        sites = {target.kind: _genome(built, built.site)}
    else:
        sites = {"acceptor": _genome(built, built.acceptor), "donor": _genome(built, built.donor)}
    summary = {
        "name": target.name, "target": target.kind,
        "chrom": built.region.chrom, "strand": built.region.strand,
        "acceptor": sites.get("acceptor", ""), "donor": sites.get("donor", ""),
        "model": args.model, "scorer": scorer.name, "strategy": args.strategy,
        "evaluations": dataset.provenance["evaluations"],
        "stop_reason": dataset.provenance["stop_reason"],
        "original_score": float(dataset.provenance["original_score"]),
        "rows": len(dataset),
        "archive_quality": archive_quality(dataset.scores),
        "mean_edit_distance": edit_distance_distribution(dataset, grammar)["mean"],
        "r2": fit.fidelity["r2"], "spearman": fit.fidelity["spearman"],
        "n_test": fit.fidelity["n_test"], **motif_summary,
        "seconds": round(time.perf_counter() - start, 2),
    }
    return TargetResult(target, dataset, fit, summary, files, built, grammar, motif_analysis)


def _write_motif_analysis(paths: list[Path], dataset, motifs, grammar, args) -> tuple:
    """Write the motif enrichment and motif-surrogate tables of one local dataset; returns the
    summary columns (the surrogate's top feature and held-out fidelity) and, for the report's
    figure, the surrogate and the enrichment table."""
    from captum_genomics.motifs import fit_motif_surrogate, motif_changes, motif_enrichment

    original = float(dataset.provenance["original_score"])
    changes = motif_changes(dataset, motifs, strands=args.motif_strands, grammar=grammar)
    enrichment = motif_enrichment(changes, dataset.scores, original)
    enrichment.to_tsv(paths[0])
    surrogate = fit_motif_surrogate(changes, dataset.scores, original, seed=args.seed)
    ranking = surrogate.ranking()
    ranking.to_tsv(paths[1])
    motif, direction, coefficient = ranking.rows[0]
    return ({"top_motif": f"{motif} {direction}" if coefficient else "",
             "motif_r2": surrogate.fidelity["r2"]}, (surrogate, enrichment))


def _genome(built, index: int) -> int:
    return int(built.position(index))


def _genome_span(built, start: int, end: int) -> tuple[int, int] | None:
    """1-based inclusive genome span of input indices ``[start, end)`` (None in the padding)."""
    inside = np.arange(start, end)
    inside = inside[(inside >= built.pad) & (inside < built.pad + len(built.region))]
    if inside.size == 0:
        return None
    positions = built.position(inside)
    return int(np.min(positions)), int(np.max(positions))


def _write_coefficients(path: Path, fit, built) -> None:
    spec = fit.spec
    kinds = spec.kinds or ("edit",)
    rows = []
    for k, s, e, effect in zip(spec.kind_index, spec.starts, spec.ends, fit.effects):
        span = _genome_span(built, int(s), int(e))
        if span is not None:
            rows.append((span, kinds[k], float(effect)))
    chrom, strand = built.region.chrom, built.region.strand
    write_table(path, [(chrom, lo, hi, strand, kind, effect, 0.0 - effect)
                       for (lo, hi), kind, effect in sorted(rows)],
                ("chrom", "start", "end", "strand", "kind", "effect", "attribution"))


def _genome_order(built) -> tuple[np.ndarray, np.ndarray]:
    """Input indices of the region's bases and their genome positions, ascending positions."""
    indices = np.arange(built.pad, built.pad + len(built.region))
    positions = built.position(indices)
    order = np.argsort(positions)
    return indices[order], positions[order]


def _write_attributions(path: Path, per_base: np.ndarray, built) -> None:
    indices, positions = _genome_order(built)
    chrom, strand = built.region.chrom, built.region.strand
    write_table(path, [(chrom, int(p), strand, built.sequence[int(i)], float(per_base[int(i)]))
                       for i, p in zip(indices, positions)],
                ("chrom", "position", "strand", "base", "attribution"))


def _target_figures(index: int, result: TargetResult) -> list[tuple]:
    """One target's archive histogram, quality trace, edits, genome track and (with
    ``--motifs``) motif effects."""
    from captum_genomics import plot

    dataset, built, summary = result.dataset, result.built, result.summary
    name, stem = result.target.name, file_stem(index, result.target.name)
    trace = dataset.provenance["quality_trace"]
    quality = plot.plot_quality([trace["evaluations"]], [trace["quality"]],
                                labels=[summary["strategy"]])
    quality.set_title(f"{name}: archive quality during the search", fontsize=10)
    scores = plot.plot_archive_scores(dataset)
    edits = plot.plot_edits(dataset, result.grammar or built.grammar(), bins=120,
                            xlabel="position in the model input (transcript orientation, "
                                   f"{built.pad:,} N of padding first)")
    edits.set_title(f"{name}: where the edits fall (grey: not editable, yellow: region of "
                    "interest)", fontsize=10, pad=22)
    indices, positions = _genome_order(built)
    region = built.region
    sites = [(int(summary[kind]), kind) for kind in ("acceptor", "donor") if summary[kind] != ""]
    intervals = []
    if result.target.transcript is not None:
        exons = result.target.transcript.exons_transcript_order
        intervals = [(max(lo, region.start), min(hi, region.end), f"exon {k + 1}")
                     for k, (lo, hi) in enumerate(exons) if lo <= region.end and hi >= region.start]
    track = plot.plot_track(result.fit.per_position()[indices], start=int(positions[0]),
                            intervals=intervals, sites=sites,
                            xlabel=f"{region.chrom}, genome order ({region.strand} strand "
                                   "target)", ylabel="surrogate attribution")
    track.set_title(f"{name}: per-base attribution of the surrogate", fontsize=10, pad=14)
    figures = [
        (f"{stem}_scores", f"{name}: scores of the {len(dataset)} archived sequences (the "
                           "unedited sequence in red).", scores.figure),
        (f"{stem}_quality", f"{name}: archive quality against model evaluations.",
         quality.figure),
        (f"{stem}_edits", f"{name}: edits of the local dataset by kind along the model input.",
         edits.figure),
        (f"{stem}_track", f"{name}: per-base attribution (the surrogate's effect of editing a "
                          "base, sign flipped) in genome coordinates, with the exons and "
                          "splice sites.", track.figure),
    ]
    if result.motif_analysis is not None:
        motifs = plot.plot_motif_effects(*result.motif_analysis)
        motifs.set_title(f"{name}: {motifs.get_title(loc='left')}", fontsize=10, loc="left")
        figures.append((f"{stem}_motifs", f"{name}: score change per motif occurrence gained or "
                        "lost (motif-level lasso; q: Benjamini–Hochberg q-value of the motif's "
                        "enrichment test, each motif on its own).", motifs.figure))
    return figures


def _write_report(output_dir: Path, results: list[TargetResult], settings: dict,
                  summary: tuple) -> None:
    """``report.html`` and ``figures/``: the first REPORT_LIMIT targets are drawn."""
    from captum_genomics import report

    shown = results[:REPORT_LIMIT]
    figures = [f for i, r in enumerate(shown) for f in _target_figures(i, r)]
    _, images = report.save_figures(output_dir / "figures", figures)
    notes = ["Each target's local dataset is a GGGP search of edited sequences scored by "
             "SpliceAI; a surrogate fitted on it gives the per-base attributions. Archive "
             "quality (0 to 1) grows as the archived scores fill the score range evenly."]
    if len(results) > len(shown):
        notes.append(f"Figures show the first {len(shown)} of {len(results)} targets; the "
                     "table and the TSV files hold every target.")
    report.write_report(output_dir / "report.html", "captum-genomics gggp", settings, images,
                        [("summary.tsv", *summary)], notes)
