//! Binding of [`crate::filter::FilterProgram`] and its finishing stage
//! (`hyperban._core.FilterProgram`).
//!
//! ```python
//! prog = FilterProgram(scan, pre, fail, detector, fail_count=..., ignore_count=...,
//!                      has_prefregex=..., ignore_first=..., skip_comments=...,
//!                      folds=[(alt_pairs, tuple_pairs), ...], address_of=Address.of)
//! prog.run(data: bytes, now: float, last_date: float | None, last_time_text: str,
//!          settings: (check_all, ignore_pending, raw_ids, check_find_time,
//!                     in_operation, find_time, wall_now, report_quiet_lines))
//! prog.reset()   # forget the F-MLFID sessions
//! scan, last_date, last_time_text = prog.scan_dates(data, now, last_date, last_time_text)
//! prog.evaluate_meanwhile(data, scan)  # this thread, while `run` starts on another
//! prog.run(data, ..., scan=scan)   # the run takes the dates (and lines) found ahead
//! run = prog.run(data, ..., tally=tally)  # the tally takes what it can account
//! ```
//! The program shares the filter's compiled `PatternSet`s and its
//! `DateDetector` (whose state the run advances) and owns the filter's
//! multi-line sessions. `run` returns `(scan_limit_hit, lines, processed,
//! prefregex_only, limit_hits, outcomes, last_date, last_time_text)`; the
//! outcomes are the lines whose result matters, finished (see
//! [`super::outcome`]). The GIL is released while the chunk runs.

use pyo3::exceptions::{PyRuntimeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyList, PyTuple};
use std::sync::Mutex;

use super::date_detector::PyDateDetector;
use super::outcome::Converter;
use super::pattern_set::PyPatternSet;
use super::tally::PyToolTally;
use crate::date::DateDetector;
use crate::filter::fields::{intern, Key};
use crate::filter::{
    quiet_session_end, split_id, split_scan, DateCarry, DateCut, EvaluatedLines, FilterProgram,
    FilterShape, FinishSettings, Finisher, FinishingSink, GroupFolds, LineOutcome, SetNames,
    StageLines, IGNORE_BASE, MULTI_SHIFT, PREF_ID,
};
use crate::matcher::{LineReport, MatcherError};

/// The candidate scan of one chunk, made ahead of the run that takes it
/// (`FilterProgram.scan` / `MultiProgram.scan`): a caller can scan the next
/// chunk while the previous one runs. It knows the set and the length of
/// the chunk it was made for, and is only taken for those.
/// `FilterProgram.scan_dates` also finds the chunk's dates with it.
#[pyclass(name = "ChunkScan", module = "hyperban._core", frozen)]
pub struct PyChunkScan {
    report: LineReport,
    /// Address of the scanned `PatternSet` object.
    set: usize,
    /// Length of the scanned chunk.
    len: usize,
    dates: Option<DatesAhead>,
}

/// A chunk's date steps, found with its scan (`FilterProgram.scan_dates`).
struct DatesAhead {
    cuts: Vec<DateCut>,
    /// The time they were found at: the run of the chunk takes it as its
    /// own, so that the whole chunk sees one `now`, as a run alone does.
    now: f64,
    /// The carry after the chunk's last line.
    carry: DateCarry,
    /// The lines the run processes, decoded (their cuts are `cuts`).
    lines: StageLines,
    /// The exact sets of the chunk's first lines, evaluated with the
    /// dates (`scan_dates(..., evaluate=share)`) or after them, while the
    /// run of the previous chunk goes on (`evaluate_meanwhile`); `None`
    /// once the run has taken them: no more may be added then.
    evaluated: Mutex<Option<EvaluatedLines>>,
}

impl DatesAhead {
    /// The lines evaluated so far, for the run; none can be added after.
    fn take_evaluated(&self) -> EvaluatedLines {
        self.lock_evaluated().take().unwrap_or_default()
    }

    fn lock_evaluated(&self) -> std::sync::MutexGuard<'_, Option<EvaluatedLines>> {
        // (a poisoned lock only means a panic elsewhere: the lines in it
        // are whole)
        self.evaluated.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl PyChunkScan {
    fn make(py: Python<'_>, set: &Py<PyPatternSet>, data: &[u8]) -> PyResult<Self> {
        let inner = &set.get().inner;
        let report = py
            .allow_threads(|| inner.candidate_lines(data))
            .map_err(to_py_error)?;
        Ok(PyChunkScan {
            report,
            set: set.as_ptr() as usize,
            len: data.len(),
            dates: None,
        })
    }

    /// The scan, when it was made by `set` on a chunk as long as `data`.
    fn of(&self, set: &Py<PyPatternSet>, data: &[u8]) -> PyResult<&LineReport> {
        if self.set != set.as_ptr() as usize || self.len != data.len() {
            return Err(PyValueError::new_err(
                "this scan was made for another set or another chunk",
            ));
        }
        Ok(&self.report)
    }
}

#[pymethods]
impl PyChunkScan {
    /// Whether the chunk's dates were found with the scan (a run taking
    /// this scan then leaves the detector and the carry alone).
    #[getter]
    fn has_dates(&self) -> bool {
        self.dates.is_some()
    }

    /// How many lines have their regexes evaluated ahead, waiting for the
    /// run (0 once the run has taken them).
    #[getter]
    fn evaluated(&self) -> usize {
        self.dates.as_ref().map_or(0, |d| {
            d.lock_evaluated().as_ref().map_or(0, EvaluatedLines::len)
        })
    }
}

/// A single-line filter's exact stage over one chunk per call.
#[pyclass(name = "FilterProgram", module = "hyperban._core", frozen)]
pub struct PyFilterProgram {
    shape: FilterShape,
    scan: Py<PyPatternSet>,
    pre: Option<Py<PyPatternSet>>,
    fail: Py<PyPatternSet>,
    detector: Py<PyDateDetector>,
    names: SetNames,
    /// `quiet_session_end` of each failregex.
    session_ends: Vec<bool>,
    /// The multi-line sessions (one run at a time holds them).
    finisher: Mutex<Finisher>,
    /// `Address.of`, for the `ip` entries of failure data.
    address_of: Py<PyAny>,
}

/// A failregex's `(alt pairs, tuple pairs)`: `(group, target)` each.
type FoldsArg = (Vec<(String, String)>, Vec<(String, String)>);

/// `(check_all, ignore_pending, raw_ids, check_find_time, in_operation,
/// find_time, wall_now, report_quiet_lines)` from Python (see
/// [`FinishSettings`] for each).
#[derive(FromPyObject)]
struct SettingsArg(bool, bool, bool, bool, bool, f64, f64, bool);

impl SettingsArg {
    /// The settings of a run at the filter's time `now`; `report_lines` as
    /// [`FinishSettings::report_lines`].
    fn at(&self, now: f64, report_lines: bool) -> FinishSettings {
        FinishSettings {
            check_all: self.0,
            ignore_pending: self.1,
            raw_ids: self.2,
            check_find_time: self.3,
            in_operation: self.4,
            find_time: self.5,
            now,
            wall_now: self.6,
            report_quiet_lines: self.7,
            report_lines,
        }
    }
}

/// The group names of every pattern of a set, by position.
fn names_of(set: &PyPatternSet) -> Vec<Vec<Key>> {
    (0..set.inner.len())
        .map(|i| set.inner.group_names(i).into_iter().map(intern).collect())
        .collect()
}

#[pymethods]
impl PyFilterProgram {
    #[new]
    #[pyo3(signature = (
        scan, pre, fail, detector, *, fail_count, ignore_count, has_prefregex,
        ignore_first, skip_comments, folds, address_of
    ))]
    #[allow(clippy::too_many_arguments)]
    fn new(
        scan: Py<PyPatternSet>,
        pre: Option<Py<PyPatternSet>>,
        fail: Py<PyPatternSet>,
        detector: Py<PyDateDetector>,
        fail_count: usize,
        ignore_count: usize,
        has_prefregex: bool,
        ignore_first: bool,
        skip_comments: bool,
        folds: Vec<FoldsArg>,
        address_of: Py<PyAny>,
    ) -> PyResult<Self> {
        if folds.len() != fail_count {
            return Err(PyValueError::new_err(
                "one (alt, tuple) fold list per failregex",
            ));
        }
        let fail_ids = fail.get().inner.ids();
        if !fail_ids
            .iter()
            .map(|&id| id as usize)
            .eq(1..=fail_count + ignore_count)
        {
            return Err(PyValueError::new_err(
                "the fail set must hold the failregexes (ids 1..) then the ignoreregexes",
            ));
        }
        let scan_ok = scan.get().inner.ids().iter().all(|&id| {
            (id < IGNORE_BASE && (id as usize) < fail_count)
                || (id >= IGNORE_BASE && ((id - IGNORE_BASE) as usize) < ignore_count)
        });
        if !scan_ok {
            return Err(PyValueError::new_err(
                "scan ids must be failregex indexes or IGNORE_BASE + ignoreregex index",
            ));
        }
        let content_group = match (&pre, has_prefregex) {
            (Some(pre), true) => {
                let set = &pre.get().inner;
                let index = set
                    .ids()
                    .iter()
                    .position(|&id| id == PREF_ID)
                    .ok_or_else(|| PyValueError::new_err("the pre set has no prefregex (id 0)"))?;
                set.group_names(index).iter().position(|&n| n == "content")
            }
            (None, true) => return Err(PyValueError::new_err("a prefregex needs a pre set")),
            _ => None,
        };
        if ignore_count > 0 && pre.is_none() {
            return Err(PyValueError::new_err("ignoreregexes need a pre set"));
        }
        let names = SetNames {
            pre: pre.as_ref().map(|p| names_of(p.get())).unwrap_or_default(),
            fail: names_of(fail.get()),
        };
        let folds: Vec<GroupFolds> = folds
            .into_iter()
            .map(|(alt, tuple)| GroupFolds::new(alt, tuple))
            .collect();
        // (the fail set holds failregex i at position i: checked above)
        let session_ends = folds
            .iter()
            .enumerate()
            .map(|(i, f)| quiet_session_end(fail.get().inner.parsed(i), f))
            .collect();
        Ok(PyFilterProgram {
            names,
            session_ends,
            finisher: Mutex::new(Finisher::new(folds)),
            address_of,
            shape: FilterShape {
                fail_count,
                ignore_count,
                has_prefregex,
                content_group,
                ignore_first,
                skip_comments,
            },
            scan,
            pre,
            fail,
            detector,
        })
    }

    /// Runs one chunk of `\n`-terminated lines at time `now`. With
    /// `summarize=keep`, the quiet lines are counted in a summary instead of
    /// reported, except the first `keep` ignored ones (see
    /// [`QuietSummary::take`]).
    /// `scan` is this program's `scan(data)`, made ahead (else the run
    /// scans `data` itself).
    /// `tally` accounts the lines it can (the tool's statistics): only the
    /// others are returned.
    #[pyo3(signature = (
        data, now, last_date, last_time_text, settings, *, summarize=None, scan=None, tally=None
    ))]
    #[allow(clippy::too_many_arguments)]
    fn run<'py>(
        &self,
        py: Python<'py>,
        data: &[u8],
        now: f64,
        last_date: Option<f64>,
        last_time_text: String,
        settings: SettingsArg,
        summarize: Option<usize>,
        scan: Option<PyRef<'py, PyChunkScan>>,
        tally: Option<PyRef<'py, PyToolTally>>,
    ) -> PyResult<Bound<'py, PyTuple>> {
        let carry = DateCarry {
            last_date,
            last_time_text,
        };
        let tally = tally.as_deref();
        if let Some(made) = scan.as_deref() {
            let report = made.of(&self.scan, data)?;
            if let Some(dates) = &made.dates {
                let lines = Lines::Ahead(dates);
                return self.run_with(
                    py, data, dates.now, carry, settings, lines, summarize, tally,
                );
            }
            // A scan that hit the match limit cannot tell the candidates:
            // the run then checks every line (`FilterProgram::run_chunk`).
            if report.limit_hits == 0 {
                let lines = Lines::Candidates(report);
                return self.run_with(py, data, now, carry, settings, lines, summarize, tally);
            }
        }
        self.run_with(
            py,
            data,
            now,
            carry,
            settings,
            Lines::Scan,
            summarize,
            tally,
        )
    }

    /// The candidate scan of `data` for `run(..., scan=...)`; the GIL is
    /// released meanwhile.
    fn scan(&self, py: Python<'_>, data: &[u8]) -> PyResult<PyChunkScan> {
        PyChunkScan::make(py, &self.scan, data)
    }

    /// The candidate scan of `data` and the date step of each line the run
    /// will process, for `run(..., scan=...)`: the dates advance the
    /// detector and the carry `(last_date, last_time_text)` here, so a run
    /// of the previous chunk may go on meanwhile, on another thread, but
    /// never a run without dates found ahead. Returns `(scan, last_date,
    /// last_time_text)`, the carry after the chunk. The GIL is released.
    ///
    /// With `evaluate`, the exact sets of that share (0 to 1) of the lines
    /// the run will process, the first ones, are evaluated here too: the
    /// run takes them when it checks every failregex (`check_all`), and
    /// evaluates them itself otherwise (see `filter::evaluate`).
    #[pyo3(signature = (data, now, last_date, last_time_text, *, evaluate=0.0))]
    fn scan_dates(
        &self,
        py: Python<'_>,
        data: &[u8],
        now: f64,
        last_date: Option<f64>,
        last_time_text: String,
        evaluate: f64,
    ) -> PyResult<(PyChunkScan, Option<f64>, String)> {
        if !(0.0..=1.0).contains(&evaluate) {
            return Err(PyValueError::new_err(format!(
                "evaluate must be a share between 0 and 1, not {evaluate}"
            )));
        }
        let mut made = PyChunkScan::make(py, &self.scan, data)?;
        let mut carry = DateCarry {
            last_date,
            last_time_text,
        };
        let program = self.program();
        let mut detector = self.detector.bind(py).try_borrow_mut()?;
        let detector = &mut detector.inner;
        let (lines, cuts, evaluated) = py
            .allow_threads(|| {
                let lines = program.lines(data, &made.report);
                let cuts = program.dates_ahead(&lines, now, detector, &mut carry);
                // (a share of the lines, rounded up: any share above 0 takes one)
                let count = (evaluate * cuts.len() as f64).ceil() as usize;
                let evaluated = if count == 0 {
                    EvaluatedLines::default()
                } else {
                    program.evaluate_ahead(&lines, &cuts, count)?
                };
                Ok::<_, MatcherError>((lines, cuts, evaluated))
            })
            .map_err(to_py_error)?;
        let (last_date, last_time_text) = (carry.last_date, carry.last_time_text.clone());
        made.dates = Some(DatesAhead {
            lines,
            cuts,
            now,
            carry,
            evaluated: Mutex::new(Some(evaluated)),
        });
        Ok((made, last_date, last_time_text))
    }

    /// Evaluates the regexes of the lines of `scan` (a `scan_dates` of
    /// `data`), in order from the first not yet evaluated, until the run
    /// taking `scan` starts (on another thread: it then evaluates the rest
    /// itself) or every line is done. Returns how many lines this call
    /// evaluated. The GIL is released.
    ///
    /// For the regex tool: it hands the chunk to its worker first and
    /// evaluates meanwhile, so each thread takes as many of the chunk's
    /// lines as it has time for, and the worker never waits for this one.
    /// A run without `check_all` ignores lines evaluated ahead.
    fn evaluate_meanwhile(
        &self,
        py: Python<'_>,
        data: &[u8],
        scan: PyRef<'_, PyChunkScan>,
    ) -> PyResult<usize> {
        scan.of(&self.scan, data)?;
        let Some(dates) = &scan.dates else {
            return Err(PyValueError::new_err(
                "this scan was made without dates (FilterProgram.scan_dates makes them)",
            ));
        };
        let program = self.program();
        py.allow_threads(|| {
            let mut added = 0;
            // (the lines evaluated with the scan come first: start after them)
            let skip = dates
                .lock_evaluated()
                .as_ref()
                .map_or(0, EvaluatedLines::len);
            let mut line = EvaluatedLines::default();
            program.evaluate_lines_ahead(&dates.lines, &dates.cuts, skip, &mut line, |line| {
                // (the run may have taken the lines meanwhile: this line
                // is then its to evaluate, and so are the rest)
                match dates.lock_evaluated().as_mut() {
                    Some(lines) => {
                        lines.append(line);
                        line.clear();
                        added += 1;
                        true
                    }
                    None => false,
                }
            })?;
            Ok(added)
        })
        .map_err(to_py_error)
    }

    /// Forget the multi-line sessions (the filter was reset).
    fn reset(&self) {
        self.lock_finisher().reset();
    }
}

impl PyFilterProgram {
    fn lock_finisher(&self) -> std::sync::MutexGuard<'_, Finisher> {
        // a poisoned lock only means a panic elsewhere: the sessions are
        // still usable, so go on with them
        self.finisher.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The exact stage's view of the compiled sets.
    fn program(&self) -> FilterProgram<'_> {
        FilterProgram {
            shape: self.shape,
            scan: &self.scan.get().inner,
            pre: self.pre.as_ref().map(|p| &p.get().inner),
            fail: &self.fail.get().inner,
            session_ends: &self.session_ends,
        }
    }

    /// The outcomes as Python tuples (see [`super::outcome`]).
    fn convert<'py>(
        &self,
        py: Python<'py>,
        outcomes: Vec<LineOutcome>,
    ) -> PyResult<Bound<'py, PyList>> {
        let mut convert = Converter::new(py, self.address_of.bind(py));
        // (the list made at its size: growing big vectors makes the allocator
        // copy them over and over)
        let mut converted = Vec::with_capacity(outcomes.len());
        for outcome in outcomes {
            converted.push(convert.outcome(outcome)?.unbind());
        }
        PyList::new(py, converted)
    }

    /// Runs a chunk on the lines `lines` says; `summarize` and `tally` as
    /// for `run`.
    #[allow(clippy::too_many_arguments)]
    fn run_with<'py>(
        &self,
        py: Python<'py>,
        data: &[u8],
        now: f64,
        mut carry: DateCarry,
        settings_arg: SettingsArg,
        lines: Lines<'_>,
        summarize: Option<usize>,
        tally: Option<&PyToolTally>,
    ) -> PyResult<Bound<'py, PyTuple>> {
        // (a tally takes the failures first and never reads their lines)
        let finish = settings_arg.at(now, tally.is_none());
        let program = self.program();
        // (dates found ahead need no detector: it may be finding the next
        // chunk's on another thread)
        let mut borrowed;
        let job = match lines {
            Lines::Ahead(dates) => Job::Ahead(dates),
            Lines::Candidates(scan) => {
                borrowed = self.detector.bind(py).try_borrow_mut()?;
                Job::Inline(Some(scan), &mut borrowed.inner)
            }
            Lines::Scan => {
                borrowed = self.detector.bind(py).try_borrow_mut()?;
                Job::Inline(None, &mut borrowed.inner)
            }
        };
        let names = &self.names;
        let (report, outcomes, summary) = py
            .allow_threads(|| {
                // each record is finished as soon as it is made (see FinishingSink)
                let mut finisher = self.lock_finisher();
                let mut sink =
                    FinishingSink::new(&mut finisher, &program.shape, names, &finish, summarize);
                let report = match job {
                    Job::Ahead(dates) => {
                        carry.clone_from(&dates.carry);
                        let taken = dates.take_evaluated();
                        // (lines evaluated ahead never skip before their
                        // failregexes: only a check_all sink never does)
                        let evaluated = if finish.check_all {
                            taken
                        } else {
                            EvaluatedLines::default()
                        };
                        program.run_ahead_into(&dates.lines, &dates.cuts, evaluated, &mut sink)?
                    }
                    Job::Inline(Some(scan), detector) => program
                        .run_candidates_into(data, scan, now, detector, &mut carry, &mut sink)?,
                    Job::Inline(None, detector) => {
                        program.run_chunk_into(data, now, detector, &mut carry, &mut sink)?
                    }
                };
                let (mut outcomes, summary) = sink.into_outcomes();
                if let Some(tally) = tally {
                    outcomes = tally.lock().take_chunk(outcomes, report.lines);
                }
                Ok::<_, MatcherError>((report, outcomes, summary))
            })
            .map_err(to_py_error)?;
        let records = self.convert(py, outcomes)?;
        let summary = match summary {
            None => None,
            Some(s) => {
                let mut lines = Vec::with_capacity(4 * s.ignored_lines.len());
                for n in &s.ignored_lines {
                    lines.extend_from_slice(&n.to_ne_bytes());
                }
                Some((
                    s.ignored,
                    s.prefregex,
                    s.fail_hits,
                    s.ignore_hits,
                    PyBytes::new(py, &lines),
                ))
            }
        };
        (
            report.scan_limit_hit,
            report.lines,
            report.processed,
            report.prefregex_only,
            report.limit_hits,
            records,
            carry.last_date,
            carry.last_time_text,
            summary,
        )
            .into_pyobject(py)
    }
}

/// Several single-line filters reading one log: one scan per chunk for
/// all of them, then each filter's exact stage on its own candidates.
#[pyclass(name = "MultiProgram", module = "hyperban._core", frozen)]
pub struct PyMultiProgram {
    scan: Py<PyPatternSet>,
    programs: Vec<Py<PyFilterProgram>>,
}

#[pymethods]
impl PyMultiProgram {
    /// `scan` holds every filter's candidate patterns, filter `k`'s id `i`
    /// as `k << MULTI_SHIFT | i`.
    #[new]
    fn new(scan: Py<PyPatternSet>, programs: Vec<Py<PyFilterProgram>>) -> PyResult<Self> {
        let bad = scan.get().inner.ids().iter().any(|&id| {
            let (k, local) = split_id(id);
            programs
                .get(k)
                .is_none_or(|p| !p.get().scan.get().inner.ids().contains(&local))
        });
        if bad {
            return Err(PyValueError::new_err(
                "every scan id must be a program's own scan id, shifted by its position",
            ));
        }
        Ok(PyMultiProgram { scan, programs })
    }

    /// The shared candidate scan of `data` for `run(..., scan=...)`; the
    /// GIL is released meanwhile.
    fn scan(&self, py: Python<'_>, data: &[u8]) -> PyResult<PyChunkScan> {
        PyChunkScan::make(py, &self.scan, data)
    }

    /// Runs one chunk for every filter: `carries` holds each filter's
    /// `(last_date, last_time_text, settings)`, `summarize` (when given)
    /// each filter's `summarize` argument of `FilterProgram.run`; the result
    /// is one `FilterProgram.run` tuple per filter.
    /// `scan` is this program's `scan(data)`, made ahead (else the run
    /// scans `data` itself). `tallies` (when given) holds each filter's
    /// `tally` argument of `FilterProgram.run`.
    #[pyo3(signature = (data, now, carries, *, summarize=None, scan=None, tallies=None))]
    #[allow(clippy::too_many_arguments)]
    fn run<'py>(
        &self,
        py: Python<'py>,
        data: &[u8],
        now: f64,
        carries: Vec<(Option<f64>, String, SettingsArg)>,
        summarize: Option<Vec<Option<usize>>>,
        scan: Option<PyRef<'py, PyChunkScan>>,
        tallies: Option<Vec<Option<PyRef<'py, PyToolTally>>>>,
    ) -> PyResult<Bound<'py, PyList>> {
        if carries.len() != self.programs.len() {
            return Err(PyValueError::new_err("one carry per filter expected"));
        }
        let tallies = tallies.unwrap_or_else(|| carries.iter().map(|_| None).collect());
        if tallies.len() != carries.len() {
            return Err(PyValueError::new_err(
                "one tally (or None) per filter expected",
            ));
        }
        let summarize = summarize.unwrap_or_else(|| vec![None; carries.len()]);
        if summarize.len() != carries.len() {
            return Err(PyValueError::new_err(
                "one summarize value per filter expected",
            ));
        }
        let made;
        let scan = match scan.as_deref() {
            Some(scan) => scan.of(&self.scan, data)?,
            None => {
                made = PyChunkScan::make(py, &self.scan, data)?;
                &made.report
            }
        };
        let out = PyList::empty(py);
        // A shared scan that hit the match limit cannot tell whose pattern
        // did: each filter then scans on its own (and decides for itself).
        let shares = (scan.limit_hits == 0).then(|| split_scan(scan, self.programs.len()));
        let runs = self
            .programs
            .iter()
            .zip(carries)
            .zip(summarize)
            .zip(&tallies);
        for (k, (((program, (last_date, last_time_text, settings)), keep), tally)) in
            runs.enumerate()
        {
            let carry = DateCarry {
                last_date,
                last_time_text,
            };
            let lines = match shares.as_ref().and_then(|s| s.get(k)) {
                Some(share) => Lines::Candidates(share),
                None => Lines::Scan,
            };
            let tally = tally.as_deref();
            let run = program
                .get()
                .run_with(py, data, now, carry, settings, lines, keep, tally)?;
            out.append(run)?;
        }
        Ok(out)
    }
}

/// Which lines a run processes, and where their dates come from.
#[derive(Clone, Copy)]
enum Lines<'a> {
    /// The run scans the chunk itself.
    Scan,
    /// The candidates of a scan made ahead (this filter's, or its share of
    /// a shared one); the run finds their dates.
    Candidates(&'a LineReport),
    /// A scan made ahead with its lines and their dates (`scan_dates`).
    Ahead(&'a DatesAhead),
}

/// [`Lines`] with the detector borrowed when the run finds the dates.
enum Job<'a> {
    Ahead(&'a DatesAhead),
    Inline(Option<&'a LineReport>, &'a mut DateDetector),
}

fn to_py_error(e: MatcherError) -> PyErr {
    PyRuntimeError::new_err(e.to_string())
}

/// Comment and empty lines of a chunk of lines (see
/// [`crate::filter::count_skipped`]); the GIL is released.
#[pyfunction]
fn count_skipped(py: Python<'_>, data: &[u8]) -> usize {
    py.allow_threads(|| crate::filter::count_skipped(data))
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(count_skipped, m)?)?;
    m.add_class::<PyFilterProgram>()?;
    m.add_class::<PyMultiProgram>()?;
    m.add_class::<PyChunkScan>()?;
    m.add("MULTI_SHIFT", MULTI_SHIFT)?;
    Ok(())
}
