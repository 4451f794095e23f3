//! `verbatim bench squad2`: answers and "no answer" end to end through
//! `Engine::ask`, over the 2,067 SQuAD v1.1 dev paragraphs (neutral titles
//! unless `--titled`), on SQuAD 2.0's human-written unanswerable questions
//! and SQuAD v1.1's answerable ones, with the reader model and without it
//! in the same run.
//!
//! The reader was trained on the tuning articles except two SQuAD 2.0
//! articles kept out whole ([`VALIDATION`]): figures on those two are out
//! of fold; figures on the other six are in-sample for the reader and
//! labelled so. Held-out v1.1 articles 24-47 are reported for the
//! answerable side (SQuAD 2.0's labelled held-out articles are not here).

use std::path::Path;
use std::time::Instant;

use serde::Deserialize;

use crate::answer::{AskRequest, AskStatus};
use crate::config::ReaderMode;
use crate::config::VectorMode;
use crate::embed::reader::Pair;
use crate::engine::Engine;
use crate::search::Filters;

use super::squad;

/// The SQuAD v1.1 article indices of the two SQuAD 2.0 articles the reader
/// never saw in training (European_Union_law, Packet_switching): they chose
/// its operating point (`scripts/reader/train.py`).
const VALIDATION: [usize; 2] = [15, 19];

/// The SQuAD v1.1 articles that are tuning data (24-47 are held out): the
/// only ones [`export`] is given.
const TUNE_ARTICLES: std::ops::Range<usize> = 0..24;

/// The parts of `dev-v2.0-tune.json` read here.
#[derive(Deserialize)]
struct Squad2 {
    /// Articles.
    data: Vec<Article2>,
}

/// A SQuAD 2.0 article.
#[derive(Deserialize)]
struct Article2 {
    /// Its index in SQuAD v1.1 dev.
    v11_article: usize,
    /// Its paragraphs.
    paragraphs: Vec<Paragraph2>,
}

/// A paragraph's questions.
#[derive(Deserialize)]
struct Paragraph2 {
    /// Questions.
    qas: Vec<Qa2>,
}

/// A question, answerable or not.
#[derive(Deserialize)]
struct Qa2 {
    /// The question.
    question: String,
    /// Gold answers (empty when unanswerable).
    answers: Vec<squad::Answer>,
    /// Written to look answerable from its paragraph, and not.
    #[serde(default)]
    is_impossible: bool,
}

/// A question to ask and what counts as right.
struct Probe<'a> {
    /// The question.
    question: &'a str,
    /// Gold strings; empty for an unanswerable question.
    golds: Vec<&'a str>,
}

/// Rates over a set of probes.
#[derive(Default, Clone, Copy)]
struct Rates {
    /// Answerable questions.
    answerable: usize,
    /// Answered, with a gold string in the top answer's text.
    right: usize,
    /// Unanswerable questions.
    unanswerable: usize,
    /// Unanswerable questions answered `no_answer`.
    refused: usize,
}

impl Rates {
    fn cells(&self) -> String {
        let r = self.right as f64 / self.answerable.max(1) as f64;
        if self.unanswerable == 0 {
            return format!("{r:.4} ({}/{}) | — | —", self.right, self.answerable);
        }
        let u = self.refused as f64 / self.unanswerable.max(1) as f64;
        format!(
            "{r:.4} ({}/{}) | {u:.4} ({}/{}) | {:.4}",
            self.right,
            self.answerable,
            self.refused,
            self.unanswerable,
            (r + u) / 2.0
        )
    }
}

/// One question's outcome with the reader: whether it is answerable, the
/// reader's best score, and whether the top answer holds a gold string.
type Read = (bool, f32, bool);

/// A nearest passage of a question answered `no_answer`: its
/// answerability (the judge's best over its sentences) and whether it holds
/// a gold answer string.
type Near = (f64, bool);

/// What [`measure`] gathers: the rates, each question's [`Read`] when the
/// reader ran, and the [`Near`] passages of the questions refused.
struct Measured {
    /// Rates over the probes.
    rates: Rates,
    /// One per question, when the reader ran.
    reads: Vec<Read>,
    /// One per nearest passage of a refused question (vectors on).
    near: Vec<Near>,
}

/// The rates over `probes`, each question's [`Read`] when the reader ran,
/// and the nearest passages of the questions refused.
fn measure(engine: &Engine, probes: &[Probe<'_>], reader: ReaderMode) -> anyhow::Result<Measured> {
    let mut r = Rates::default();
    let mut reads = Vec::new();
    let mut near = Vec::new();
    for p in probes {
        let req = AskRequest {
            question: p.question.to_string(),
            limit: 3,
            filters: Filters::default(),
        };
        let res = engine.ask_with(&req, reader)?;
        let answered = res.status == AskStatus::Answered;
        let top_right = res.answers.first().is_some_and(|a| {
            let text = &a.doc.text[a.bytes.clone()];
            p.golds.iter().any(|g| text.contains(g))
        });
        if let Some(z) = res.reader_score {
            reads.push((!p.golds.is_empty(), z, top_right));
        }
        if !answered {
            for rel in &res.related {
                if let Some(a) = rel.answerability {
                    let text = rel.hit.doc.passage_text(&rel.hit.passage);
                    near.push((a, p.golds.iter().any(|g| text.contains(g))));
                }
            }
        }
        if p.golds.is_empty() {
            r.unanswerable += 1;
            r.refused += usize::from(!answered);
        } else {
            r.answerable += 1;
            r.right += usize::from(answered && top_right);
        }
    }
    Ok(Measured {
        rates: r,
        reads,
        near,
    })
}

/// The "possibly relevant" sweep over the nearest passages of refused
/// questions: per threshold, the share of passages labelled that hold a
/// gold string (precision), the share of gold-holding passages labelled
/// (recall), and the share of the passages left stamped "not an answer"
/// that hold one all the same; then the highest threshold at which that
/// stamp is wrong for at most [`STAMP_ERROR`] of its passages.
fn relevance_sweep(near: &[Near], shipped: f64) {
    let golds = near.iter().filter(|n| n.1).count();
    println!(
        "\n\"possibly relevant\" over {} nearest passages of refused questions ({golds} hold a gold string):",
        near.len()
    );
    let mut chosen = None;
    for step in 1..20 {
        let t = f64::from(step) * 0.05;
        let labelled = near.iter().filter(|n| n.0 >= t).count();
        let right = near.iter().filter(|n| n.0 >= t && n.1).count();
        let precision = right as f64 / labelled.max(1) as f64;
        let recall = right as f64 / golds.max(1) as f64;
        let stamp_wrong = (golds - right) as f64 / (near.len() - labelled).max(1) as f64;
        println!(
            "  at {t:.2}: {labelled} labelled, precision {precision:.3}, recall {recall:.3}; \"not an answer\" wrong for {stamp_wrong:.3}"
        );
        if labelled > 0 && stamp_wrong <= STAMP_ERROR {
            chosen = Some(t);
        }
    }
    match chosen {
        Some(t) => println!(
            "  highest threshold with \"not an answer\" wrong for at most {STAMP_ERROR}: {t:.2} (shipped {shipped})"
        ),
        None => println!("  no threshold keeps \"not an answer\" that right (shipped {shipped})"),
    }
}

/// The most a "not an answer" stamp may be wrong: the share of the
/// passages it is given that hold the answer all the same.
const STAMP_ERROR: f64 = 0.05;

/// The threshold on the reader's best score that maximises the mean of
/// answerable answered-and-right and unanswerable refused, with the two
/// rates there.
fn best_threshold(reads: &[Read]) -> Option<(f32, f64, f64)> {
    let answerable = reads.iter().filter(|r| r.0).count().max(1) as f64;
    let unanswerable = reads.iter().filter(|r| !r.0).count().max(1) as f64;
    let mut best: Option<(f32, f64, f64)> = None;
    let mut ts: Vec<f32> = reads.iter().map(|r| r.1).collect();
    ts.sort_by(f32::total_cmp);
    for t in ts {
        let right = reads.iter().filter(|r| r.0 && r.1 >= t && r.2).count() as f64 / answerable;
        let refused = reads.iter().filter(|r| !r.0 && r.1 < t).count() as f64 / unanswerable;
        if best.is_none_or(|b| right + refused > b.1 + b.2) {
            best = Some((t, right, refused));
        }
    }
    best
}

/// The reader alone: word pieces per second over question–sentence pairs
/// (each of the first 200 validation questions with the sentences of its
/// top related passages), one question's pairs per call, as `ask` runs it.
fn reader_throughput(engine: &Engine, probes: &[Probe<'_>]) -> anyhow::Result<()> {
    let Some(vectors) = engine.snapshot().vectors() else {
        return Ok(());
    };
    let reader = vectors.reader()?;
    // Per question: its (sentence, sentence before) pairs.
    let mut work: Vec<(&str, Vec<(String, String)>)> = Vec::new();
    for p in probes.iter().take(200) {
        let res = engine.ask_with(
            &AskRequest {
                question: p.question.to_string(),
                limit: 3,
                filters: Filters::default(),
            },
            ReaderMode::Off,
        )?;
        let sentences: Vec<(String, String)> = res
            .related
            .iter()
            .flat_map(|r| {
                let (doc, p) = (r.hit.doc, &r.hit.passage);
                (0..p.sentence_count()).map(move |i| {
                    (
                        doc.sentence_text(p, i).to_string(),
                        doc.sentence_before(p, i).to_string(),
                    )
                })
            })
            .take(8)
            .collect();
        work.push((p.question, sentences));
    }
    let mut pieces = 0usize;
    let mut pairs = 0usize;
    fn as_pairs(ss: &[(String, String)]) -> Vec<Pair<'_>> {
        ss.iter()
            .map(|(sentence, before)| Pair { sentence, before })
            .collect()
    }
    for (q, ss) in &work {
        for &p in &as_pairs(ss) {
            pieces += reader.pair_tokens(q, p)?;
            pairs += 1;
        }
    }
    let t = Instant::now();
    for (q, ss) in &work {
        reader.logits(q, &as_pairs(ss))?;
    }
    let secs = t.elapsed().as_secs_f64();
    println!(
        "\nreader: {pairs} pairs, {pieces} word pieces in {secs:.2}s: {:.0} word pieces/s, {:.1} ms per question of up to 8 pairs",
        pieces as f64 / secs,
        secs * 1e3 / work.len().max(1) as f64
    );
    Ok(())
}

/// Which of the benchmark's sets and reader settings a run measures.
pub(crate) struct Sets {
    /// The two validation articles alone.
    pub(crate) validation_only: bool,
    /// The tuning articles alone: the held-out set is never read, so a
    /// change can be iterated on without looking at it.
    pub(crate) tune_only: bool,
    /// The reader settings measured, in order.
    pub(crate) readers: Vec<ReaderMode>,
}

/// Runs the benchmark and prints its table.
pub(crate) fn run(
    data: &Path,
    squad2: &Path,
    titled: bool,
    vectors: VectorMode,
    export_to: Option<&Path>,
    chosen: Sets,
) -> anyhow::Result<()> {
    let sq = squad::load(data)?;
    let s2: Squad2 = serde_json::from_slice(
        &std::fs::read(squad2).map_err(|e| anyhow::anyhow!("{}: {e}", squad2.display()))?,
    )?;
    let docs = squad::documents(&sq, |_| true, titled);
    let engine = Engine::build(docs, &super::scifact::bench_index_dir("squad"), vectors)?;
    let v2 = |keep: &dyn Fn(usize) -> bool| -> Vec<Probe<'_>> {
        s2.data
            .iter()
            .filter(|a| keep(a.v11_article))
            .flat_map(|a| a.paragraphs.iter().flat_map(|p| &p.qas))
            .map(|q| Probe {
                question: &q.question,
                golds: if q.is_impossible {
                    Vec::new()
                } else {
                    q.answers.iter().map(|a| a.text.as_str()).collect()
                },
            })
            .collect()
    };
    let v1 = |keep: &dyn Fn(usize) -> bool| -> Vec<Probe<'_>> {
        sq.data
            .iter()
            .enumerate()
            .filter(|(a, _)| keep(*a))
            .flat_map(|(_, a)| a.paragraphs.iter().flat_map(|p| &p.qas))
            .map(|q| Probe {
                question: &q.question,
                golds: q.answers.iter().map(|a| a.text.as_str()).collect(),
            })
            .collect()
    };
    if let Some(out) = export_to {
        let mut questions: Vec<(usize, &'static str, Probe<'_>)> = Vec::new();
        for a in TUNE_ARTICLES {
            questions.extend(v1(&|x| x == a).into_iter().map(|p| (a, "v1.1", p)));
            questions.extend(v2(&|x| x == a).into_iter().map(|p| (a, "v2.0", p)));
        }
        let t = Instant::now();
        export(&engine, &questions, out)?;
        println!(
            "wrote the served candidates of {} tuning questions to {} in {:.0}s",
            questions.len(),
            out.display(),
            t.elapsed().as_secs_f64()
        );
        return Ok(());
    }
    let sets = [
        (
            "SQuAD 2.0, validation articles 15 and 19 (out of fold for the reader)",
            v2(&|a| VALIDATION.contains(&a)),
        ),
        (
            "SQuAD 2.0, the other six tune articles (IN-SAMPLE for the reader)",
            v2(&|a| !VALIDATION.contains(&a)),
        ),
        ("SQuAD v1.1, tune articles 0-23", v1(&|a| a < 24)),
        ("SQuAD v1.1, held-out articles 24-47", v1(&|a| a >= 24)),
    ];
    println!(
        "# verbatim bench squad2 ({} titles, vectors {vectors:?}); answered and right = status answered and a gold string in the top answer's text",
        if titled { "the articles' own (topic-naming)" } else { "neutral" }
    );
    println!("| set | reader | answerable answered and right | unanswerable refused | mean | questions/s |\n|---|---|---|---|---|---|");
    let mut validation = Vec::new();
    // The nearest passages of refused questions, per reader setting: the
    // model's over the SQuAD 2.0 tuning articles measured (answerable and
    // unanswerable questions mixed as SQuAD 2.0 mixes them; the v1.1 rows
    // have no unanswerable question), the reader's over the validation
    // articles alone (it was trained on the others); never held-out data.
    let mut near_model = Vec::new();
    let mut near_reader = Vec::new();
    // By default the six-article row, the validation row and the held-out
    // row; `--tune-only` swaps the held-out row for the v1.1 tune articles.
    let measured: &[usize] = if chosen.validation_only {
        &[0]
    } else if chosen.tune_only {
        &[0, 1, 2]
    } else {
        &[0, 1, 3]
    };
    for (i, (name, probes)) in sets
        .iter()
        .enumerate()
        .filter(|(i, _)| measured.contains(i))
    {
        for &use_reader in &chosen.readers {
            let label = match use_reader {
                ReaderMode::On => "on",
                ReaderMode::Off => "off",
            };
            let t = Instant::now();
            let m = measure(&engine, probes, use_reader)?;
            println!(
                "| {name} | {label} | {} | {:.0} |",
                m.rates.cells(),
                probes.len() as f64 / t.elapsed().as_secs_f64()
            );
            match use_reader {
                ReaderMode::On if i == 0 => {
                    validation = m.reads;
                    near_reader = m.near;
                }
                ReaderMode::Off if i < 2 => near_model.extend(m.near),
                _ => {}
            }
        }
    }
    if !near_model.is_empty() {
        print!("\nreader off (the answerability model), the SQuAD 2.0 tuning articles measured:");
        relevance_sweep(&near_model, crate::answer::RELATED_THRESHOLD);
    }
    if !near_reader.is_empty() {
        print!("\nreader on, the validation articles:");
        relevance_sweep(&near_reader, crate::answer::READER_RELATED_THRESHOLD);
    }
    if chosen.readers.contains(&ReaderMode::On) {
        reader_throughput(&engine, &sets[0].1)?;
    }
    let answerable: Vec<&Read> = validation.iter().filter(|r| r.0).collect();
    if !answerable.is_empty() {
        println!(
            "\nreader on, validation articles: the top answer holds a gold string for {:.4} of the answerable questions, answered or not (the ordering alone)",
            answerable.iter().filter(|r| r.2).count() as f64 / answerable.len() as f64
        );
    }
    match best_threshold(&validation) {
        Some((t, right, refused)) => println!(
            "\nreader operating point on the validation articles (served path): reader score {t:.3} gives answerable right {right:.4}, unanswerable refused {refused:.4}; shipped READER_THRESHOLD = {}",
            crate::answer::READER_THRESHOLD
        ),
        None => println!("\nthe reader did not run (vectors off?)"),
    }
    Ok(())
}

/// Candidate sentences written per question by [`export`].
const EXPORT_CANDIDATES: usize = 16;

/// One served candidate sentence of an exported question.
#[derive(serde::Serialize)]
struct ExportedCandidate<'a> {
    /// Its paragraph's document id.
    doc: &'a str,
    /// The sentence's index in its passage.
    sentence: usize,
    /// The sentence.
    text: &'a str,
    /// The sentence before it in its passage ("" for the first).
    prev: &'a str,
    /// The ranker's score.
    score: f64,
    /// The answerability model's probability (vectors on).
    model_p: Option<f64>,
    /// Whether the sentence holds a gold answer string.
    gold: bool,
}

/// One exported question.
#[derive(serde::Serialize)]
struct ExportedQuestion<'a> {
    /// Its SQuAD v1.1 article index (0-23 only: held-out ones are never written).
    article: usize,
    /// `v1.1` or `v2.0`: which file it comes from.
    source: &'static str,
    /// The question.
    question: &'a str,
    /// Gold answer strings (empty when unanswerable).
    golds: &'a [&'a str],
    /// The ranker's best candidates, best first.
    candidates: Vec<ExportedCandidate<'a>>,
}

/// Writes the served path's ranked candidates for every tuning question
/// (v1.1 articles 0-23 and the SQuAD 2.0 tune articles) as JSON Lines: the
/// reader's training data and the data its operating point is fitted on.
/// The caller passes tuning articles only ([`TUNE_ARTICLES`]).
fn export(
    engine: &Engine,
    questions: &[(usize, &'static str, Probe<'_>)],
    out: &Path,
) -> anyhow::Result<()> {
    use std::io::Write;
    let file = std::fs::File::create(out).map_err(|e| anyhow::anyhow!("{}: {e}", out.display()))?;
    let mut w = std::io::BufWriter::new(file);
    let snap = engine.snapshot();
    for (article, source, p) in questions {
        let ranked = crate::answer::rank(snap, p.question, &Filters::default())?;
        let candidates = ranked
            .cands
            .iter()
            .take(EXPORT_CANDIDATES)
            .enumerate()
            .map(|(i, (score, c))| {
                let text = c.doc.sentence_text(&c.passage, c.sentence);
                ExportedCandidate {
                    doc: &c.doc.meta.id,
                    sentence: c.sentence,
                    text,
                    prev: c.doc.sentence_before(&c.passage, c.sentence),
                    score: *score,
                    model_p: crate::answer::model_answerability(&ranked.q, &ranked.cands, i),
                    gold: p.golds.iter().any(|g| text.contains(g)),
                }
            })
            .collect();
        serde_json::to_writer(
            &mut w,
            &ExportedQuestion {
                article: *article,
                source,
                question: p.question,
                golds: &p.golds,
                candidates,
            },
        )?;
        w.write_all(b"\n")?;
    }
    w.flush()?;
    Ok(())
}
