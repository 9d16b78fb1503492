//! The results: a table (text), the same as JSON, and a chart (PNG) beside them.

use std::fmt::Write as _;
use std::path::Path;

use anyhow::Context;
use plotters::prelude::*;
use serde::Serialize;

/// What one measurement is compared with, measured in the same run.
#[derive(Clone, Debug, Serialize)]
pub struct Reference {
    pub what: String,
    pub value: f64,
    /// dojang must reach at least this multiple of the reference (`0.7`: 70 %, `20.0`: 20×).
    pub target: Option<f64>,
}

/// One measured figure.
#[derive(Clone, Debug, Serialize)]
pub struct Row {
    pub section: &'static str,
    pub what: String,
    pub value: f64,
    pub unit: &'static str,
    pub reference: Option<Reference>,
}

impl Row {
    pub fn ratio(&self) -> Option<f64> {
        self.reference.as_ref().filter(|r| r.value > 0.0).map(|r| self.value / r.value)
    }

    /// Whether the target was met; `None` when there is none.
    pub fn met(&self) -> Option<bool> {
        let target = self.reference.as_ref()?.target?;
        Some(self.ratio().is_some_and(|r| r >= target))
    }
}

/// Every row, and the conditions they were measured in.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Report {
    pub conditions: Vec<(String, String)>,
    pub rows: Vec<Row>,
    pub notes: Vec<String>,
}

fn number(v: f64) -> String {
    if v >= 100.0 {
        format!("{v:.0}")
    } else if v >= 10.0 {
        format!("{v:.1}")
    } else {
        format!("{v:.2}")
    }
}

fn ratio_text(r: f64) -> String {
    if r >= 10.0 {
        format!("{r:.1}×")
    } else {
        format!("{r:.2}×")
    }
}

impl Report {
    /// The table, aligned for a terminal.
    pub fn table(&self) -> String {
        let header = ["measurement", "dojang", "reference (same run)", "ratio", "target", "met"];
        let mut lines: Vec<[String; 6]> = Vec::new();
        for r in &self.rows {
            let (reference, target) = match &r.reference {
                Some(x) => (
                    format!("{} {} ({})", number(x.value), r.unit, x.what),
                    x.target.map(ratio_text).map(|t| format!("≥ {t}")).unwrap_or_default(),
                ),
                None => (String::new(), String::new()),
            };
            lines.push([
                format!("[{}] {}", r.section, r.what),
                format!("{} {}", number(r.value), r.unit),
                reference,
                r.ratio().map(ratio_text).unwrap_or_default(),
                target,
                match r.met() {
                    Some(true) => "yes".into(),
                    Some(false) => "NO".into(),
                    None => String::new(),
                },
            ]);
        }
        let width = |i: usize| {
            lines
                .iter()
                .map(|l| l[i].chars().count())
                .chain([header[i].chars().count()])
                .max()
                .unwrap_or(0)
        };
        let widths: Vec<usize> = (0..6).map(width).collect();
        let row = |cells: &[String]| {
            let mut s = String::new();
            for (i, c) in cells.iter().enumerate() {
                let pad = widths[i].saturating_sub(c.chars().count());
                s.push_str(c);
                if i + 1 < cells.len() {
                    s.push_str(&" ".repeat(pad + 2));
                }
            }
            s.trim_end().to_string()
        };
        let mut out = String::new();
        for (k, v) in &self.conditions {
            let _ = writeln!(out, "{k}: {v}");
        }
        out.push('\n');
        let _ = writeln!(out, "{}", row(&header.map(String::from)));
        let _ = writeln!(out, "{}", "-".repeat(widths.iter().sum::<usize>() + 2 * 5));
        for l in &lines {
            let _ = writeln!(out, "{}", row(l));
        }
        for n in &self.notes {
            let _ = writeln!(out, "note: {n}");
        }
        out
    }

    /// Writes `bench.txt`, `bench.json` and `bench.png` into `dir`.
    pub fn write(&self, dir: &Path) -> anyhow::Result<()> {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
        std::fs::write(dir.join("bench.txt"), self.table()).context("writing bench.txt")?;
        std::fs::write(dir.join("bench.json"), serde_json::to_string_pretty(self)?)
            .context("writing bench.json")?;
        self.chart(&dir.join("bench.png")).context("drawing bench.png")
    }

    /// Two panels: each ratio to its reference against its target (log scale), and each
    /// at-size figure against the empty store.
    pub fn chart(&self, path: &Path) -> anyhow::Result<()> {
        register_font();
        let targets: Vec<&Row> = self.rows.iter().filter(|r| r.met().is_some()).collect();
        let scale: Vec<&Row> =
            self.rows.iter().filter(|r| r.met().is_none() && r.ratio().is_some()).collect();
        let height = 120 + 46 * (targets.len() + scale.len()) as u32 + 160;
        let root = BitMapBackend::new(path, (1200, height)).into_drawing_area();
        root.fill(&WHITE)?;
        let split = 60 + 46 * targets.len() as u32 + 80;
        let (top, bottom) = root.split_vertically(split);
        panel(
            &top,
            "dojang / OpenSSL on the same machine, same run (bar) against the target (|)",
            &targets,
            true,
        )?;
        panel(
            &bottom,
            "information: dojang / the same run's reference (OpenSSL, or the empty store)",
            &scale,
            false,
        )?;
        root.present()?;
        Ok(())
    }
}

fn register_font() {
    // The font is compiled in: no system font is needed to draw the chart.
    let _ =
        plotters::style::register_font("sans-serif", FontStyle::Normal, dejavu::sans::regular());
}

fn panel(
    area: &DrawingArea<BitMapBackend<'_>, plotters::coord::Shift>,
    title: &str,
    rows: &[&Row],
    with_targets: bool,
) -> anyhow::Result<()> {
    if rows.is_empty() {
        return Ok(());
    }
    let ratios: Vec<f64> = rows.iter().map(|r| r.ratio().unwrap_or(0.0).max(1e-3)).collect();
    let hi = ratios
        .iter()
        .copied()
        .chain(rows.iter().filter_map(|r| r.reference.as_ref()?.target))
        .fold(1.0f64, f64::max)
        * 8.0;
    let lo = ratios.iter().copied().fold(1.0f64, f64::min) / 2.0;
    let n = rows.len();
    let labels: Vec<String> =
        rows.iter().map(|r| format!("{} {}", r.section, short(&r.what))).collect();
    let mut chart = ChartBuilder::on(area)
        .caption(title, ("sans-serif", 20))
        .margin(12)
        .x_label_area_size(30)
        .y_label_area_size(470)
        .build_cartesian_2d((lo..hi).log_scale(), (0..n).into_segmented())?;
    chart
        .configure_mesh()
        .disable_y_mesh()
        .y_labels(n + 1)
        .y_label_formatter(&|v| match v {
            SegmentValue::CenterOf(i) => labels.get(*i).cloned().unwrap_or_default(),
            _ => String::new(),
        })
        .x_label_formatter(&|v| format!("{v}×"))
        .label_style(("sans-serif", 14))
        .draw()?;
    for (i, (row, ratio)) in rows.iter().zip(&ratios).enumerate() {
        let color = match row.met() {
            Some(true) => RGBColor(46, 139, 87),
            Some(false) => RGBColor(200, 60, 50),
            None => RGBColor(70, 110, 180),
        };
        let mut bar = Rectangle::new(
            [(lo, SegmentValue::Exact(i)), (*ratio, SegmentValue::Exact(i + 1))],
            color.filled(),
        );
        bar.set_margin(6, 6, 0, 0);
        chart.draw_series(std::iter::once(bar))?;
        chart.draw_series(std::iter::once(Text::new(
            format!(" {} ({} {})", ratio_text(*ratio), number(row.value), row.unit),
            (*ratio, SegmentValue::CenterOf(i)),
            ("sans-serif", 14).into_font(),
        )))?;
        if with_targets {
            if let Some(t) = row.reference.as_ref().and_then(|r| r.target) {
                chart.draw_series(std::iter::once(PathElement::new(
                    vec![(t, SegmentValue::Exact(i)), (t, SegmentValue::Exact(i + 1))],
                    BLACK.stroke_width(3),
                )))?;
            }
        }
    }
    Ok(())
}

/// The label of a row: the part before any parenthesis, at most 60 characters.
fn short(what: &str) -> String {
    let s = what.split(" (").next().unwrap_or(what);
    s.chars().take(60).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Report {
        Report {
            conditions: vec![("cores".into(), "2".into())],
            rows: vec![
                Row {
                    section: "issuance",
                    what: "RSA-2048 in-process".into(),
                    value: 1400.0,
                    unit: "certs/s",
                    reference: Some(Reference {
                        what: "openssl speed".into(),
                        value: 2000.0,
                        target: Some(0.7),
                    }),
                },
                Row {
                    section: "ocsp",
                    what: "responses".into(),
                    value: 3000.0,
                    unit: "req/s",
                    reference: Some(Reference {
                        what: "openssl ocsp".into(),
                        value: 100.0,
                        target: Some(20.0),
                    }),
                },
                Row {
                    section: "scale",
                    what: "CRL generation".into(),
                    value: 2.0,
                    unit: "s",
                    reference: Some(Reference {
                        what: "empty store".into(),
                        value: 0.01,
                        target: None,
                    }),
                },
            ],
            notes: vec!["a note".into()],
        }
    }

    #[test]
    fn the_table_says_met_and_missed() {
        let r = sample();
        assert_eq!(r.rows[0].met(), Some(true));
        assert_eq!(r.rows[1].met(), Some(true));
        assert_eq!(r.rows[2].met(), None);
        let t = r.table();
        assert!(t.contains("0.70×") && t.contains("30.0×") && t.contains("note: a note"), "{t}");
    }

    #[test]
    fn the_chart_is_a_png() {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut r = sample();
        r.rows[1].value = 10.0; // a missed target draws too
        r.write(dir.path()).expect("written");
        let png = std::fs::read(dir.path().join("bench.png")).expect("png");
        assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
        assert!(std::fs::read_to_string(dir.path().join("bench.txt")).expect("txt").contains("NO"));
    }
}
