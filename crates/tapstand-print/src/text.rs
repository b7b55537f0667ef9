//! Fitting a text into a width: shrink, then wrap (balanced, at spaces first, never inside a Latin word or
//! before closing punctuation), with the real advances of the bundled font. A text that still does not fit at
//! the smallest size is refused: nothing ever runs over the edge.

use crate::fonts::{self, Weight, PT_MM};

#[derive(Clone, Copy, Debug)]
pub struct FitSpec {
    pub weight: Weight,
    pub max_width_mm: f64,
    pub max_lines: usize,
    pub size_max_pt: f64,
    pub size_min_pt: f64,
    /// Keep one line down to this fraction of `size_max_pt` before wrapping.
    pub single_line_floor: f64,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Fitted {
    pub size_pt: f64,
    /// Lines with their widths in mm.
    pub lines: Vec<(String, f64)>,
}

impl Fitted {
    /// Distance between baselines, mm.
    pub fn line_pitch_mm(&self) -> f64 {
        self.size_pt * PT_MM * 1.3
    }

    /// Height of the block from the top of the first line's em box to the bottom of the last, mm.
    pub fn block_height_mm(&self) -> f64 {
        let em = self.size_pt * PT_MM;
        em + (self.lines.len().saturating_sub(1)) as f64 * self.line_pitch_mm()
    }

    pub fn max_width(&self) -> f64 {
        self.lines.iter().map(|l| l.1).fold(0.0, f64::max)
    }
}

/// Normalises user text: trims, turns newlines and tabs into spaces, collapses runs of spaces.
pub fn normalize(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut space = false;
    for c in text.trim().chars() {
        let c = if c.is_whitespace() { ' ' } else { c };
        if c.is_control() {
            continue;
        }
        if c == ' ' {
            if !space {
                out.push(' ');
            }
            space = true;
        } else {
            out.push(c);
            space = false;
        }
    }
    out
}

/// `None` when the text cannot fit within the spec.
pub fn fit(text: &str, spec: &FitSpec) -> Option<Fitted> {
    let text = normalize(text);
    if text.is_empty() {
        return Some(Fitted {
            size_pt: spec.size_max_pt,
            lines: Vec::new(),
        });
    }
    let w = |s: &str, size: f64| fonts::text_width_mm(spec.weight, s, size);
    let sizes: Vec<f64> = {
        let mut v = Vec::new();
        let mut s = spec.size_max_pt;
        while s >= spec.size_min_pt - 1e-9 {
            v.push(s);
            s -= 0.5;
        }
        v
    };
    // 1. One line, shrinking a little.
    let floor = spec.size_max_pt * spec.single_line_floor;
    for &size in sizes.iter().filter(|&&s| s >= floor || spec.max_lines == 1) {
        let width = w(&text, size);
        if width <= spec.max_width_mm {
            return Some(Fitted {
                size_pt: size,
                lines: vec![(text, width)],
            });
        }
    }
    if spec.max_lines < 2 {
        return None;
    }
    // 2. Wrap into as few lines as possible at the largest size that fits. A break at a space (a name
    //    written "机构 门店" breaks between its parts) wins when it costs at most 1 pt against breaking
    //    anywhere allowed; otherwise the lines are balanced.
    let wrapped = |spaces_only: bool| -> Option<Fitted> {
        for &size in &sizes {
            for n in 2..=spec.max_lines {
                if let Some(lines) =
                    wrap_balanced(&text, n, spec.max_width_mm, spaces_only, |s| w(s, size))
                {
                    let lines = lines
                        .into_iter()
                        .map(|l| {
                            let width = w(&l, size);
                            (l, width)
                        })
                        .collect();
                    return Some(Fitted {
                        size_pt: size,
                        lines,
                    });
                }
            }
        }
        None
    };
    match (wrapped(true), wrapped(false)) {
        (Some(a), Some(b)) if a.size_pt + 1.0 >= b.size_pt && a.lines.len() <= b.lines.len() => {
            Some(a)
        }
        (_, Some(b)) => Some(b),
        (a, None) => a,
    }
}

/// Characters that must not start a line (closing punctuation).
fn no_break_before(c: char) -> bool {
    "，。、；：？！）》」』】〕〉”’·…—,.;:?!)]}%".contains(c)
}

/// Characters that must not end a line (opening punctuation).
fn no_break_after(c: char) -> bool {
    "（《「『【〔〈“‘([{".contains(c)
}

fn is_word_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || "-_'&@#/+".contains(c)
}

/// Break opportunities: indexes (in chars) where a new line may start, and whether it is at a space.
fn break_points(chars: &[char]) -> Vec<(usize, bool)> {
    let mut out = Vec::new();
    for i in 1..chars.len() {
        let (a, b) = (chars[i - 1], chars[i]);
        if b == ' ' {
            continue; // break after the space instead
        }
        if a == ' ' {
            out.push((i, true));
            continue;
        }
        if no_break_before(b) || no_break_after(a) || (is_word_char(a) && is_word_char(b)) {
            continue;
        }
        out.push((i, false));
    }
    out
}

/// Splits into exactly `n` lines that each fit in `max_w`, as balanced as possible, preferring breaks at
/// spaces. `None` if impossible.
fn wrap_balanced(
    text: &str,
    n: usize,
    max_w: f64,
    spaces_only: bool,
    width: impl Fn(&str) -> f64,
) -> Option<Vec<String>> {
    let chars: Vec<char> = text.chars().collect();
    let mut bps = break_points(&chars);
    if spaces_only {
        bps.retain(|b| b.1);
    }
    if bps.len() + 1 < n {
        return None;
    }
    best_split(&chars, &bps, n, max_w, &width)
}

fn best_split(
    chars: &[char],
    bps: &[(usize, bool)],
    n: usize,
    max_w: f64,
    width: &impl Fn(&str) -> f64,
) -> Option<Vec<String>> {
    let line = |a: usize, b: usize| -> String {
        chars[a..b].iter().collect::<String>().trim().to_string()
    };
    // Exhaustive over break combinations is fine for the short texts on a stand (names, slogans);
    // for long texts fall back to greedy.
    let mut best: Option<(f64, Vec<String>)> = None;
    if bps.len() <= 60 && n <= 3 {
        let mut choose = |cuts: &[usize]| {
            let mut bounds = vec![0];
            bounds.extend_from_slice(cuts);
            bounds.push(chars.len());
            let lines: Vec<String> = bounds.windows(2).map(|w| line(w[0], w[1])).collect();
            if lines.iter().any(|l| l.is_empty()) {
                return;
            }
            let ws: Vec<f64> = lines.iter().map(|l| width(l)).collect();
            let worst = ws.iter().cloned().fold(0.0, f64::max);
            if worst > max_w {
                return;
            }
            if best.as_ref().is_none_or(|(bw, _)| worst < *bw - 1e-9) {
                best = Some((worst, lines));
            }
        };
        let idx: Vec<usize> = bps.iter().map(|b| b.0).collect();
        match n {
            2 => {
                for &a in &idx {
                    choose(&[a]);
                }
            }
            3 => {
                for (i, &a) in idx.iter().enumerate() {
                    for &b in &idx[i + 1..] {
                        choose(&[a, b]);
                    }
                }
            }
            _ => {}
        }
        return best.map(|b| b.1);
    }
    // Greedy.
    let mut lines = Vec::new();
    let mut start = 0;
    let mut last_ok: Option<usize> = None;
    let mut k = 0;
    while k < bps.len() {
        let cut = bps[k].0;
        if width(&line(start, cut)) <= max_w {
            last_ok = Some(cut);
            k += 1;
        } else {
            let c = last_ok?;
            lines.push(line(start, c));
            start = c;
            last_ok = None;
        }
    }
    if width(&line(start, chars.len())) > max_w {
        let c = last_ok?;
        lines.push(line(start, c));
        start = c;
    }
    lines.push(line(start, chars.len()));
    if lines.len() == n && lines.iter().all(|l| width(l) <= max_w) {
        Some(lines)
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(w: f64, lines: usize) -> FitSpec {
        FitSpec {
            weight: Weight::Regular,
            max_width_mm: w,
            max_lines: lines,
            size_max_pt: 18.0,
            size_min_pt: 8.0,
            single_line_floor: 0.8,
        }
    }

    #[test]
    fn short_text_keeps_size() {
        let f = fit("红谷滩店", &spec(80.0, 2)).unwrap();
        assert_eq!(f.size_pt, 18.0);
        assert_eq!(f.lines.len(), 1);
    }

    #[test]
    fn long_name_wraps_at_the_space_and_never_overflows() {
        let f = fit(
            "辽宁民生事科技股份有限公司 总仓沈阳第一配送中心",
            &spec(60.0, 2),
        )
        .unwrap();
        assert_eq!(f.lines.len(), 2, "{f:?}");
        assert_eq!(f.lines[0].0, "辽宁民生事科技股份有限公司");
        assert!(f.lines.iter().all(|l| l.1 <= 60.0));
    }

    #[test]
    fn no_line_starts_with_closing_punctuation() {
        let f = fit("解锁手机，碰一碰快速领卡用卡会员中心欢迎您", &spec(40.0, 3)).unwrap();
        for (l, _) in &f.lines {
            assert!(!l.starts_with('，'), "{f:?}");
        }
    }

    #[test]
    fn impossible_text_is_refused() {
        let long: String = "很".repeat(200);
        assert!(fit(&long, &spec(50.0, 2)).is_none());
    }

    #[test]
    fn latin_words_stay_whole() {
        let f = fit("Tapstand Coffee Roasters Shanghai", &spec(45.0, 2)).unwrap();
        for (l, _) in &f.lines {
            assert!(!l.contains("Roast ") && !l.ends_with("Roa"), "{f:?}");
        }
    }
}
