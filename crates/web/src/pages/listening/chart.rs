//! Stacked bars by day, laid out for an inline SVG drawn by the server (no script, no library).
//! Each bar's parts are placed from their running totals, so that rounding never makes a stack
//! taller or shorter than its day's total says.

/// Height of the drawing area, in SVG units.
pub const HEIGHT: u64 = 120;
/// Width of one day's bar and the step from one bar to the next.
const BAR: u64 = 10;
const STEP: u64 = 12;

/// One day's values, in the order they are stacked (bottom first).
pub struct Day {
    pub label: String,
    pub values: Vec<u64>,
}

/// One rectangle of the drawing.
pub struct Rect {
    pub x: u64,
    pub y: u64,
    pub width: u64,
    pub height: u64,
    /// The CSS class of its series (`s0`, `neg`…).
    pub class: &'static str,
    /// What a pointer shows on it: `2024-05-01 · Acme: 12`.
    pub title: String,
}

/// The drawing: its width and rectangles (empty parts drawn as nothing).
pub struct Stacked {
    pub width: u64,
    pub rects: Vec<Rect>,
}

/// Lays out `days` with one class and one name per series (`series[i]` for `values[i]`).
pub fn stacked(days: &[Day], series: &[(&'static str, String)]) -> Stacked {
    let top = days
        .iter()
        .map(|d| d.values.iter().sum::<u64>())
        .max()
        .unwrap_or(0)
        .max(1);
    let mut rects = Vec::new();
    for (i, day) in days.iter().enumerate() {
        let mut below = 0u64;
        let mut running = 0u64;
        for (value, (class, name)) in day.values.iter().zip(series) {
            running += value;
            let reached = (running * HEIGHT + top / 2) / top;
            if *value > 0 && reached > below {
                rects.push(Rect {
                    x: i as u64 * STEP,
                    y: HEIGHT - reached,
                    width: BAR,
                    height: reached - below,
                    class,
                    title: format!("{} · {name}: {value}", day.label),
                });
            }
            below = reached;
        }
    }
    Stacked {
        width: (days.len() as u64 * STEP).max(STEP),
        rects,
    }
}

/// The CSS class of the `i`-th series of share of voice (six colours, then again).
pub fn series_class(i: usize) -> &'static str {
    const CLASSES: [&str; 6] = ["s0", "s1", "s2", "s3", "s4", "s5"];
    CLASSES[i % CLASSES.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(label: &str, values: &[u64]) -> Day {
        Day {
            label: label.into(),
            values: values.to_vec(),
        }
    }

    #[test]
    fn the_fullest_day_fills_the_height_and_parts_stack_without_gaps() {
        let series = [("a", "A".to_owned()), ("b", "B".to_owned())];
        let chart = stacked(&[day("d1", &[1, 2]), day("d2", &[3, 3])], &series);
        assert_eq!(chart.width, 24);
        // d2 (6 mentions) is the tallest: its two parts reach the top together.
        let d2: Vec<&Rect> = chart.rects.iter().filter(|r| r.x == 12).collect();
        assert_eq!(d2.len(), 2);
        assert_eq!(d2.iter().map(|r| r.height).sum::<u64>(), HEIGHT);
        assert_eq!(d2[1].y, 0);
        assert_eq!(
            d2[0].y + d2[0].height,
            HEIGHT,
            "the first part sits on the base"
        );
        assert_eq!(
            d2[1].y + d2[1].height,
            d2[0].y,
            "the second sits on the first"
        );
        // d1 (3 mentions) is half as tall.
        let d1: u64 = chart
            .rects
            .iter()
            .filter(|r| r.x == 0)
            .map(|r| r.height)
            .sum();
        assert_eq!(d1, HEIGHT / 2);
        assert_eq!(chart.rects[0].title, "d1 · A: 1");
    }

    #[test]
    fn rounding_never_breaks_a_stack_and_empty_parts_draw_nothing() {
        let series = [
            ("a", "A".to_owned()),
            ("b", "B".to_owned()),
            ("c", "C".to_owned()),
        ];
        let chart = stacked(&[day("d", &[1, 1, 1]), day("e", &[7, 0, 0])], &series);
        let d: u64 = chart
            .rects
            .iter()
            .filter(|r| r.x == 0)
            .map(|r| r.height)
            .sum();
        assert_eq!(d, (3 * HEIGHT + 3) / 7);
        assert_eq!(chart.rects.iter().filter(|r| r.x == 12).count(), 1);
        let empty = stacked(&[], &series);
        assert!(empty.rects.is_empty());
        assert_eq!(empty.width, 12);
    }
}
