//! The dashboard graphs as inline SVG: one bar chart per daily series and a ring for the
//! completion share. Numbers and labels only; every label is escaped.

use invite_core::DayActivity;
use std::fmt::Write;

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// A bar chart of `values` (one bar a day), titled `label`, with the total in its title.
pub fn bars(label: &str, days: &[DayActivity], value: fn(&DayActivity) -> u64) -> String {
    let (w, h, pad) = (280.0_f64, 90.0_f64, 14.0_f64);
    let max = days.iter().map(value).max().unwrap_or(0).max(1) as f64;
    let total: u64 = days.iter().map(value).sum();
    let n = days.len().max(1) as f64;
    let slot = (w - 2.0) / n;
    let label = escape(label);
    let mut svg = String::new();
    let _ = write!(
        svg,
        r#"<svg class="chart" viewBox="0 0 {w} {h}" role="img" aria-label="{label}: {total}"><title>{label}: {total}</title>"#
    );
    for (i, d) in days.iter().enumerate() {
        let v = value(d) as f64;
        let bh = (h - pad - 4.0) * v / max;
        let x = 1.0 + i as f64 * slot + slot * 0.15;
        let y = h - pad - bh;
        let _ = write!(
            svg,
            r#"<rect x="{x:.1}" y="{y:.1}" width="{:.1}" height="{bh:.1}"><title>{}: {}</title></rect>"#,
            slot * 0.7,
            d.day.format("%Y-%m-%d"),
            value(d)
        );
    }
    if let (Some(first), Some(last)) = (days.first(), days.last()) {
        let _ = write!(
            svg,
            r#"<text x="1" y="{:.0}" class="axis">{}</text><text x="{:.0}" y="{:.0}" class="axis" text-anchor="end">{}</text>"#,
            h - 2.0,
            first.day.format("%d.%m"),
            w - 1.0,
            h - 2.0,
            last.day.format("%d.%m")
        );
    }
    svg.push_str("</svg>");
    svg
}

/// A ring showing `share` (0.0 to 1.0) as a percentage.
pub fn ring(label: &str, share: f64) -> String {
    let share = share.clamp(0.0, 1.0);
    let r = 36.0_f64;
    let c = 2.0 * std::f64::consts::PI * r;
    let filled = c * share;
    let pct = (share * 100.0).round();
    let label = escape(label);
    format!(
        r#"<svg class="chart ring" viewBox="0 0 100 100" role="img" aria-label="{label}: {pct}%"><title>{label}: {pct}%</title><circle cx="50" cy="50" r="{r}" class="track"/><circle cx="50" cy="50" r="{r}" class="fill" stroke-dasharray="{filled:.1} {c:.1}" transform="rotate(-90 50 50)"/><text x="50" y="56" text-anchor="middle" class="pct">{pct}%</text></svg>"#
    )
}
