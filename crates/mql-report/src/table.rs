//! Aligned text tables: the layout of `table` results and of every report
//! for people.

/// Align rows of cells into columns (numbers right-aligned), one line each.
pub fn render_table(header: &[String], rows: &[Vec<String>]) -> String {
    let n = header.len();
    let mut widths: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
    for r in rows {
        for (i, c) in r.iter().enumerate().take(n) {
            widths[i] = widths[i].max(c.chars().count());
        }
    }
    let mut out = String::new();
    let mut line = |cells: &[String]| {
        let mut l = String::new();
        for (i, c) in cells.iter().enumerate().take(n) {
            if i > 0 {
                l.push_str("  ");
            }
            let pad = widths[i].saturating_sub(c.chars().count());
            let numeric = !c.is_empty() && c.parse::<f64>().is_ok() && i > 0;
            if numeric {
                l.extend(std::iter::repeat_n(' ', pad));
                l.push_str(c);
            } else {
                l.push_str(c);
                if i + 1 < n {
                    l.extend(std::iter::repeat_n(' ', pad));
                }
            }
        }
        out.push_str(l.trim_end());
        out.push('\n');
    };
    line(header);
    for r in rows {
        line(r);
    }
    out
}
