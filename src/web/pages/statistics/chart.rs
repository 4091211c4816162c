//! Bar charts as inline SVG, drawn on the server: no script, no external
//! resource, every label escaped. Each chart is `role="img"` with a `<title>`
//! and a `<desc>`; the page puts a table of the same numbers beside it.

use std::fmt::Write;

/// One bar.
pub(super) struct Bar {
    /// Its label (for column charts: a short one).
    pub label: String,
    /// The count, if it may be shown; hidden counts get no bar.
    pub value: Option<u64>,
    /// What is written at the bar: the count, "< 5" or "hidden".
    pub text: String,
}

/// A chart.
pub(super) struct Chart {
    /// Unique on the page; prefixes the ids of the title and description.
    pub id: &'static str,
    /// The accessible name.
    pub title: String,
    /// The accessible description.
    pub description: String,
    /// The bars, in order.
    pub bars: Vec<Bar>,
}

/// Bars in labelled groups (escalation decisions per authority).
pub(super) struct GroupedChart {
    /// Unique on the page; prefixes the ids of the title and description.
    pub id: &'static str,
    /// The accessible name.
    pub title: String,
    /// The accessible description.
    pub description: String,
    /// The groups, in order.
    pub groups: Vec<Group>,
}

/// A group of bars, each labelled with its series (a decision).
pub(super) struct Group {
    /// The group's label (an authority).
    pub label: String,
    /// Its bars, one per series, in the same order in every group.
    pub bars: Vec<Bar>,
}

/// Width of every chart's view box.
const WIDTH: f64 = 720.0;
/// Bar colour (the interface's accent; 8.6:1 on white).
const BAR: &str = "#0b4f8a";
/// Colours of the series of a grouped chart, in turn (each at least 6:1
/// on white). Every bar also has its series written beside it, so colour
/// is never the only cue.
const SERIES: [&str; 3] = ["#0b4f8a", "#8a4b0b", "#3d6b2f"];
/// Text and axis colour.
const INK: &str = "#1b1b1b";
/// Longest label drawn in a bar chart, in characters; the table has it in full.
const MAX_LABEL_CHARS: usize = 38;

/// Where the bars of a horizontal chart start; their labels stand left of it.
const LABELS: f64 = 300.0;

/// Room right of a full horizontal bar for its value.
const VALUE_ROOM: f64 = 80.0;

/// Escapes text for SVG content and attribute values.
pub(super) fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// `s`, shortened with an ellipsis to at most `max` characters.
fn shorten(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        s.to_owned()
    } else {
        let mut out: String = s.chars().take(max.saturating_sub(1)).collect();
        out.push('…');
        out
    }
}

/// The opening tag with the accessible name and description.
fn open(out: &mut String, (id, title, description): (&str, &str, &str), height: f64) {
    let id = escape(id);
    let _ = write!(
        out,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"chart\" role=\"img\" \
         aria-labelledby=\"{id}-title {id}-desc\" viewBox=\"0 0 {WIDTH} {height}\" \
         font-family=\"system-ui, sans-serif\" font-size=\"13\">\
         <title id=\"{id}-title\">{}</title><desc id=\"{id}-desc\">{}</desc>",
        escape(title),
        escape(description),
    );
}

/// What [`open`] needs of a chart.
fn heading(chart: &Chart) -> (&str, &str, &str) {
    (chart.id, &chart.title, &chart.description)
}

/// Text at (`x`, `y`).
fn text(out: &mut String, x: f64, y: f64, anchor: &str, s: &str) {
    let _ = write!(
        out,
        "<text x=\"{x:.1}\" y=\"{y:.1}\" text-anchor=\"{anchor}\" fill=\"{INK}\">{}</text>",
        escape(s)
    );
}

/// The largest shown value, at least 1 (so an empty chart has a scale).
fn scale<'a>(bars: impl Iterator<Item = &'a Bar>) -> f64 {
    bars.filter_map(|b| b.value).max().unwrap_or(0).max(1) as f64
}

/// Vertical bars side by side (cases per month).
pub(super) fn columns(chart: &Chart) -> String {
    const HEIGHT: f64 = 260.0;
    const TOP: f64 = 24.0;
    const BOTTOM: f64 = 36.0;
    const SIDE: f64 = 8.0;
    let base = HEIGHT - BOTTOM;
    let plot = base - TOP;
    let n = chart.bars.len().max(1) as f64;
    let slot = (WIDTH - 2.0 * SIDE) / n;
    // Write every k-th label so that labels do not overlap.
    let every = (44.0 / slot).ceil().max(1.0) as usize;
    let values_fit = slot >= 36.0;
    let max = scale(chart.bars.iter());
    let mut out = String::new();
    open(&mut out, heading(chart), HEIGHT);
    for (i, bar) in chart.bars.iter().enumerate() {
        let x = SIDE + slot * i as f64;
        let centre = x + slot / 2.0;
        let height = bar.value.map_or(0.0, |v| plot * v as f64 / max);
        if height > 0.0 {
            let _ = write!(
                out,
                "<rect x=\"{:.1}\" y=\"{:.1}\" width=\"{:.1}\" height=\"{height:.1}\" fill=\"{BAR}\"/>",
                x + slot * 0.15,
                base - height,
                slot * 0.7,
            );
        }
        if values_fit {
            text(&mut out, centre, base - height - 6.0, "middle", &bar.text);
        }
        if i % every == 0 {
            text(&mut out, centre, base + 20.0, "middle", &bar.label);
        }
    }
    let _ = write!(
        out,
        "<line x1=\"{SIDE}\" y1=\"{base}\" x2=\"{}\" y2=\"{base}\" stroke=\"{INK}\"/></svg>",
        WIDTH - SIDE
    );
    out
}

/// One horizontal bar whose texts stand on `middle`: its label left of the
/// axis, the bar (none for an empty or hidden value) from `top`, `thickness`
/// high, in `fill`, and its value after it. A bar of `max` fills the room.
fn labelled_bar(
    out: &mut String,
    bar: &Bar,
    max: f64,
    middle: f64,
    top: f64,
    thickness: f64,
    fill: &str,
) {
    let room = WIDTH - LABELS - VALUE_ROOM;
    let label = shorten(&bar.label, MAX_LABEL_CHARS);
    text(out, LABELS - 10.0, middle, "end", &label);
    let width = bar.value.map_or(0.0, |v| room * v as f64 / max);
    if width > 0.0 {
        let _ = write!(
            out,
            "<rect x=\"{LABELS}\" y=\"{top:.1}\" width=\"{width:.1}\" height=\"{thickness:.1}\" fill=\"{fill}\"/>",
        );
    }
    text(out, LABELS + width + 6.0, middle, "start", &bar.text);
}

/// Horizontal bars, one under the other (cases per category or severity).
pub(super) fn rows(chart: &Chart) -> String {
    const ROW: f64 = 30.0;
    let height = ROW * chart.bars.len().max(1) as f64 + 10.0;
    let max = scale(chart.bars.iter());
    let mut out = String::new();
    open(&mut out, heading(chart), height);
    for (i, bar) in chart.bars.iter().enumerate() {
        let y = 5.0 + ROW * i as f64;
        let middle = y + ROW / 2.0 + 4.5;
        labelled_bar(&mut out, bar, max, middle, y + 4.0, ROW - 8.0, BAR);
    }
    let _ = write!(
        out,
        "<line x1=\"{LABELS}\" y1=\"0\" x2=\"{LABELS}\" y2=\"{height}\" stroke=\"{INK}\"/></svg>"
    );
    out
}

/// Horizontal bars in groups: the group's label on a line of its own, then
/// one bar per series, each labelled with its series.
pub(super) fn grouped_rows(chart: &GroupedChart) -> String {
    const GROUP_HEAD: f64 = 26.0;
    const ROW: f64 = 22.0;
    let bar_count: usize = chart.groups.iter().map(|g| g.bars.len()).sum();
    let height = GROUP_HEAD * chart.groups.len() as f64 + ROW * bar_count as f64 + 10.0;
    let max = scale(chart.groups.iter().flat_map(|g| &g.bars));
    let mut out = String::new();
    open(
        &mut out,
        (chart.id, &chart.title, &chart.description),
        height,
    );
    let mut y = 5.0;
    for group in &chart.groups {
        let _ = write!(
            out,
            "<text x=\"8\" y=\"{:.1}\" font-weight=\"bold\" fill=\"{INK}\">{}</text>",
            y + GROUP_HEAD - 8.0,
            escape(&shorten(&group.label, 2 * MAX_LABEL_CHARS)),
        );
        y += GROUP_HEAD;
        for (i, bar) in group.bars.iter().enumerate() {
            let middle = y + ROW / 2.0 + 4.5;
            let fill = SERIES[i % SERIES.len()];
            labelled_bar(&mut out, bar, max, middle, y + 3.0, ROW - 6.0, fill);
            y += ROW;
        }
    }
    let _ = write!(
        out,
        "<line x1=\"{LABELS}\" y1=\"0\" x2=\"{LABELS}\" y2=\"{height}\" stroke=\"{INK}\"/></svg>"
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chart(bars: Vec<Bar>) -> Chart {
        Chart {
            id: "c",
            title: "Saker <per> måned & \"år\"".to_owned(),
            description: "Beskrivelse".to_owned(),
            bars,
        }
    }

    fn bar(label: &str, value: Option<u64>, text: &str) -> Bar {
        Bar {
            label: label.to_owned(),
            value,
            text: text.to_owned(),
        }
    }

    #[test]
    fn every_label_is_escaped() {
        assert_eq!(
            escape("<a href='x'>&\"</a>"),
            "&lt;a href=&#39;x&#39;&gt;&amp;&quot;&lt;/a&gt;"
        );
        for svg in [
            columns(&chart(vec![bar("<script>", Some(3), "< 5")])),
            rows(&chart(vec![bar("<script>", Some(3), "< 5")])),
        ] {
            assert!(!svg.contains("<script"), "{svg}");
            assert!(svg.contains("&lt;script&gt;"));
            assert!(svg.contains("&lt; 5"));
            assert!(svg.contains(
                "<title id=\"c-title\">Saker &lt;per&gt; måned &amp; &quot;år&quot;</title>"
            ));
            assert!(svg.contains("role=\"img\""));
            assert!(svg.contains("aria-labelledby=\"c-title c-desc\""));
            assert!(!svg.contains("style="), "no inline style (CSP)");
            assert!(!svg.contains("href"), "no links or external resources");
        }
    }

    #[test]
    fn hidden_values_get_no_bar_and_bars_scale_to_the_largest() {
        let svg = columns(&chart(vec![
            bar("jan", Some(10), "10"),
            bar("feb", None, "< 5"),
            bar("mar", Some(5), "5"),
        ]));
        assert_eq!(svg.matches("<rect").count(), 2);
        assert!(svg.contains("height=\"200.0\""), "{svg}");
        assert!(svg.contains("height=\"100.0\""), "{svg}");
        let svg = rows(&chart(vec![
            bar("a", Some(0), "0"),
            bar("b", None, "skjult"),
        ]));
        assert_eq!(svg.matches("<rect").count(), 0);
        assert!(svg.contains(">skjult</text>"));
    }

    #[test]
    fn grouped_bars_are_labelled_escaped_and_scaled_together() {
        let grouped = GroupedChart {
            id: "g",
            title: "Eskalering <&>".to_owned(),
            description: "Beskrivelse".to_owned(),
            groups: vec![
                Group {
                    label: "Politiet <b>".to_owned(),
                    bars: vec![bar("Eskaler", Some(10), "10"), bar("Utsett", None, "< 5")],
                },
                Group {
                    label: "NSM".to_owned(),
                    bars: vec![bar("Eskaler", Some(5), "5"), bar("Utsett", Some(0), "0")],
                },
            ],
        };
        let svg = grouped_rows(&grouped);
        assert!(svg.contains("<title id=\"g-title\">Eskalering &lt;&amp;&gt;</title>"));
        assert!(svg.contains("aria-labelledby=\"g-title g-desc\""));
        assert!(svg.contains(">Politiet &lt;b&gt;</text>"));
        assert!(!svg.contains("<b>"));
        assert_eq!(
            svg.matches(">Eskaler</text>").count(),
            2,
            "series on every bar"
        );
        assert_eq!(svg.matches("<rect").count(), 2, "no bar for hidden or zero");
        assert!(svg.contains("width=\"340.0\""), "{svg}");
        assert!(svg.contains("width=\"170.0\""), "{svg}");
        assert!(svg.contains(">&lt; 5</text>"));
        assert!(!svg.contains("style=") && !svg.contains("href"));
    }

    #[test]
    fn long_labels_are_shortened_and_crowded_labels_thinned() {
        assert_eq!(shorten("abcdef", 4), "abc…");
        assert_eq!(shorten("abc", 4), "abc");
        let many: Vec<Bar> = (0..60)
            .map(|i| bar(&format!("m{i}"), Some(i), ""))
            .collect();
        let svg = columns(&chart(many));
        assert!(svg.contains(">m0<"));
        assert!(!svg.contains(">m1<"), "every label would overlap");
    }
}
