//! SVG charts drawn with plotters' SVG backend (no bitmap backend, no font files: plotters
//! writes `<text>` elements and the browser's fonts draw them).
//!
//! Long series are decimated before drawing: each pixel column keeps its first, smallest and
//! largest point, so a one-second spike in a one-hour run still shows, and a chart stays a few
//! tens of kilobytes whatever the run length.

use plotters::coord::ranged1d::{AsRangedCoord, Ranged, ValueFormatter};
use plotters::prelude::*;

use super::ReportError;

/// Chart width in pixels.
pub(crate) const WIDTH: u32 = 820;
/// Chart height in pixels.
pub(crate) const HEIGHT: u32 = 300;
/// Points kept per series after decimation (about three per pixel column of the plot area).
const MAX_POINTS: usize = 2_100;

/// Series colours (the common "category10" palette), in order.
const COLORS: [RGBColor; 6] = [
    RGBColor(31, 119, 180),
    RGBColor(214, 39, 40),
    RGBColor(44, 160, 44),
    RGBColor(255, 127, 14),
    RGBColor(148, 103, 189),
    RGBColor(127, 127, 127),
];

/// How a series is drawn.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Mark {
    /// A polyline.
    Line,
    /// A polyline with a dot on every point (for short series).
    LineDots,
    /// A dashed polyline (configured, not measured, values).
    Dashed,
}

/// One series of a chart.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ChartSeries {
    /// Legend text.
    pub label: String,
    /// `(x, y)` points; non-finite points are skipped.
    pub points: Vec<(f64, f64)>,
    /// How to draw it.
    pub mark: Mark,
}

/// What to draw.
#[derive(Debug, Clone)]
pub(crate) struct Chart<'a> {
    /// Caption.
    pub title: &'a str,
    /// X axis description.
    pub x_desc: &'a str,
    /// Y axis description.
    pub y_desc: &'a str,
    /// The series, coloured in order.
    pub series: Vec<ChartSeries>,
    /// Logarithmic x axis (points with x ≤ 0 are skipped).
    pub log_x: bool,
    /// Logarithmic y axis (points with y ≤ 0 are skipped).
    pub log_y: bool,
    /// Start a linear y axis at zero (rates, percentages).
    pub y_from_zero: bool,
    /// Formats x tick labels; `None` = plotters' default.
    pub x_label: Option<fn(f64) -> String>,
    /// Formats y tick labels.
    pub y_label: Option<fn(f64) -> String>,
    /// Vertical marker lines at these x values (change points, phase boundaries).
    pub markers: Vec<f64>,
    /// Where the legend goes (where the data usually is not).
    pub legend: SeriesLabelPosition,
}

impl Chart<'_> {
    /// A linear chart with default labels.
    pub(crate) fn new<'a>(title: &'a str, x_desc: &'a str, y_desc: &'a str, series: Vec<ChartSeries>) -> Chart<'a> {
        Chart {
            title,
            x_desc,
            y_desc,
            series,
            log_x: false,
            log_y: false,
            y_from_zero: false,
            x_label: None,
            y_label: None,
            markers: Vec::new(),
            legend: SeriesLabelPosition::UpperLeft,
        }
    }
}

/// Keeps at most about `max` points: per bucket of consecutive points the first, the smallest
/// and the largest, in x order.
pub(crate) fn decimate(points: &[(f64, f64)], max: usize) -> Vec<(f64, f64)> {
    if points.len() <= max || max < 3 {
        return points.to_vec();
    }
    let buckets = max / 3;
    let mut out = Vec::with_capacity(buckets * 3);
    for b in 0..buckets {
        let (lo, hi) = (b * points.len() / buckets, (b + 1) * points.len() / buckets);
        let chunk = &points[lo..hi];
        let Some(first) = chunk.first() else { continue };
        let min = chunk.iter().min_by(|a, b| a.1.total_cmp(&b.1)).unwrap_or(first);
        let max = chunk.iter().max_by(|a, b| a.1.total_cmp(&b.1)).unwrap_or(first);
        let mut three = [*first, *min, *max];
        three.sort_by(|a, b| a.0.total_cmp(&b.0));
        for p in three {
            if out.last() != Some(&p) {
                out.push(p);
            }
        }
    }
    out
}

/// `[lo, hi]` widened so that a flat or single-valued range still has height.
fn span(lo: f64, hi: f64, log: bool, from_zero: bool) -> (f64, f64) {
    if log {
        let (lo, hi) = if hi <= lo { (lo / 2.0, hi * 2.0) } else { (lo, hi) };
        return (lo / 1.2, hi * 1.2);
    }
    let lo = if from_zero { lo.min(0.0) } else { lo };
    if hi <= lo {
        let pad = if lo == 0.0 { 1.0 } else { lo.abs() * 0.1 };
        return (lo - pad, hi + pad);
    }
    let pad = (hi - lo) * 0.05;
    (if from_zero && lo >= 0.0 { lo } else { lo - pad }, hi + pad)
}

/// Draws `chart` as an SVG document (a `<svg>` element), or fails with the chart's title.
pub(crate) fn line_chart(chart: &Chart<'_>) -> Result<String, ReportError> {
    let series: Vec<ChartSeries> = chart
        .series
        .iter()
        .map(|s| {
            let pts: Vec<(f64, f64)> = s
                .points
                .iter()
                .copied()
                .filter(|(x, y)| x.is_finite() && y.is_finite())
                .filter(|(x, y)| (!chart.log_x || *x > 0.0) && (!chart.log_y || *y > 0.0))
                .collect();
            ChartSeries { label: s.label.clone(), points: decimate(&pts, MAX_POINTS), mark: s.mark }
        })
        .collect();
    let all = || series.iter().flat_map(|s| s.points.iter());
    let (x0, x1) = all().fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), p| (lo.min(p.0), hi.max(p.0)));
    let (y0, y1) = all().fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), p| (lo.min(p.1), hi.max(p.1)));
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (WIDTH, HEIGHT)).into_drawing_area();
        let fail =
            |e: &dyn std::fmt::Display| ReportError::Chart { chart: chart.title.to_owned(), message: e.to_string() };
        root.fill(&WHITE).map_err(|e| fail(&e))?;
        if !x0.is_finite() {
            // Nothing to draw: say so in the chart rather than draw empty axes.
            root.draw(&Text::new(
                format!("{}: no data", chart.title),
                (20, (HEIGHT / 2) as i32),
                ("sans-serif", 16).into_font().color(&BLACK),
            ))
            .map_err(|e| fail(&e))?;
        } else {
            let (xa, xb) = if x1 > x0 { (x0, x1) } else { span(x0, x1, chart.log_x, false) };
            let (ya, yb) = span(y0, y1, chart.log_y, chart.y_from_zero);
            let r = match (chart.log_x, chart.log_y) {
                (false, false) => draw(&root, chart, &series, xa..xb, ya..yb),
                (true, false) => draw(&root, chart, &series, (xa..xb).log_scale(), ya..yb),
                (false, true) => draw(&root, chart, &series, xa..xb, (ya..yb).log_scale()),
                (true, true) => draw(&root, chart, &series, (xa..xb).log_scale(), (ya..yb).log_scale()),
            };
            r.map_err(|e| fail(&e))?;
        }
        root.present().map_err(|e| fail(&e))?;
    }
    Ok(svg)
}

type Area<'b> = DrawingArea<SVGBackend<'b>, plotters::coord::Shift>;
type DrawError = DrawingAreaErrorKind<std::io::Error>;

fn draw<X, Y>(root: &Area<'_>, chart: &Chart<'_>, series: &[ChartSeries], x: X, y: Y) -> Result<(), DrawError>
where
    X: AsRangedCoord<Value = f64>,
    Y: AsRangedCoord<Value = f64>,
    X::CoordDescType: Ranged<ValueType = f64> + ValueFormatter<f64>,
    Y::CoordDescType: Ranged<ValueType = f64> + ValueFormatter<f64>,
{
    let mut c = ChartBuilder::on(root)
        .caption(chart.title, ("sans-serif", 18))
        .margin(10)
        .margin_right(30)
        .x_label_area_size(40)
        .y_label_area_size(70)
        .build_cartesian_2d(x, y)?;
    let (ylo, yhi) = {
        let r = c.plotting_area().get_y_range();
        (r.start, r.end)
    };
    let x_fmt = |v: &f64| chart.x_label.map_or_else(|| super::format::plain(*v), |f| f(*v));
    let y_fmt = |v: &f64| chart.y_label.map_or_else(|| super::format::plain(*v), |f| f(*v));
    c.configure_mesh()
        .x_desc(chart.x_desc)
        .y_desc(chart.y_desc)
        .x_labels(8)
        .y_labels(6)
        .x_label_formatter(&x_fmt)
        .y_label_formatter(&y_fmt)
        .light_line_style(WHITE.mix(0.0))
        .bold_line_style(BLACK.mix(0.08))
        .draw()?;
    for &m in &chart.markers {
        c.draw_series(DashedLineSeries::new([(m, ylo), (m, yhi)], 4, 4, BLACK.mix(0.45).stroke_width(1)))?;
    }
    for (i, s) in series.iter().enumerate() {
        let color = COLORS[i % COLORS.len()];
        let style = color.stroke_width(if s.points.len() > 200 { 1 } else { 2 });
        let anno = match s.mark {
            Mark::Dashed => c.draw_series(DashedLineSeries::new(s.points.iter().copied(), 6, 4, style))?,
            Mark::Line => c.draw_series(LineSeries::new(s.points.iter().copied(), style))?,
            Mark::LineDots => {
                c.draw_series(s.points.iter().map(|&p| Circle::new(p, 3, color.filled())))?;
                c.draw_series(LineSeries::new(s.points.iter().copied(), style))?
            }
        };
        anno.label(s.label.as_str())
            .legend(move |(x, y)| PathElement::new([(x, y), (x + 18, y)], color.stroke_width(2)));
    }
    if series.len() > 1 || series.iter().any(|s| !s.label.is_empty()) {
        c.configure_series_labels()
            .position(chart.legend.clone())
            .background_style(WHITE.mix(0.7))
            .border_style(BLACK.mix(0.3))
            .draw()?;
    }
    Ok(())
}

/// `<svg …` without the `xmlns` attribute: inside HTML the parser puts `<svg>` in the SVG
/// namespace itself, and the page then holds no URL at all.
pub(crate) fn inline(svg: &str) -> String {
    svg.replacen(" xmlns=\"http://www.w3.org/2000/svg\"", "", 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimation_keeps_spikes_and_bounds() {
        let mut pts: Vec<(f64, f64)> = (0..3600).map(|i| (i as f64, 10.0)).collect();
        pts[1234].1 = 500.0;
        let d = decimate(&pts, 300);
        assert!(d.len() <= 300, "{}", d.len());
        assert!(d.iter().any(|p| p.1 == 500.0));
        assert!(d.windows(2).all(|w| w[0].0 <= w[1].0));
        assert_eq!(decimate(&pts[..10], 300).len(), 10);
    }

    #[test]
    fn draws_svg_with_escaped_text_and_no_data_placeholder() {
        let s =
            ChartSeries { label: "p99 <script>".into(), points: vec![(1.0, 2.0), (2.0, 3.0)], mark: Mark::LineDots };
        let svg = line_chart(&Chart::new("t & t", "x", "y", vec![s])).unwrap();
        assert!(svg.starts_with("<svg") && svg.trim_end().ends_with("</svg>"), "{svg}");
        assert!(svg.contains("p99 &lt;script&gt;") && !svg.contains("<script"));
        let empty = line_chart(&Chart::new("empty", "x", "y", vec![])).unwrap();
        assert!(empty.contains("empty: no data"));
        let mut log = Chart::new(
            "log",
            "x",
            "y",
            vec![ChartSeries {
                label: String::new(),
                points: vec![(1.0, 0.0), (10.0, 100.0), (100.0, 1e4)],
                mark: Mark::Line,
            }],
        );
        log.log_x = true;
        log.log_y = true;
        assert!(line_chart(&log).unwrap().contains("<polyline"));
        assert!(!inline(&log_svg()).contains("http"));
    }

    fn log_svg() -> String {
        line_chart(&Chart::new(
            "x",
            "x",
            "y",
            vec![ChartSeries { label: "a".into(), points: vec![(0.0, 1.0)], mark: Mark::Line }],
        ))
        .unwrap()
    }
}
