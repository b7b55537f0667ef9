//! The design's words as a merchant types them (the CLI's flags, the 物料 page's fields), one parser each,
//! shared by both faces: a brand colour (`#RRGGBB` or `C,M,Y,K` in percent), a size, a layout.

use tapstand_error::UserError;

use crate::model::{Cmyk, Orientation, PageSize};

/// `#RRGGBB` (by the plain formula, [`Cmyk::from_hex`]) or `C,M,Y,K` in percent (`78,0,85,0`, `%` allowed).
pub fn color(s: &str) -> Result<Cmyk, UserError> {
    Cmyk::from_hex(s)
        .or_else(|| cmyk_percent(s))
        .ok_or_else(|| {
            UserError::new(
                "print.bad_color",
                (
                    &format!("品牌色“{s}”不是有效的颜色。"),
                    "请用 #RRGGBB 格式（例如 #07C160），或 C,M,Y,K 百分比（例如 78,0,85,0）。",
                ),
                (
                    &format!("\"{s}\" is not a colour."),
                    "Use #RRGGBB (e.g. #07C160) or C,M,Y,K in percent (e.g. 78,0,85,0).",
                ),
            )
        })
}

fn cmyk_percent(s: &str) -> Option<Cmyk> {
    let v: Vec<f64> = s
        .split(',')
        .map(|p| p.trim().trim_end_matches('%').parse::<f64>())
        .collect::<Result<_, _>>()
        .ok()?;
    match v[..] {
        [c, m, y, k] => Some(Cmyk::new(c / 100.0, m / 100.0, y / 100.0, k / 100.0)),
        _ => None,
    }
}

/// A preset (`A4`, `A5`, `A6`, `10x15`, `15x20`) or a custom insert size (`120x180mm`): [`PageSize::parse`].
pub fn size(s: &str) -> Result<PageSize, UserError> {
    PageSize::parse(s).ok_or_else(|| {
        UserError::new(
            "print.bad_size",
            (
                &format!("尺寸“{s}”无法识别。"),
                "请用 A4、A5、A6、10x15、15x20，或自定义尺寸，例如 120x180mm。",
            ),
            (
                &format!("\"{s}\" is not a size."),
                "Use A4, A5, A6, 10x15, 15x20 or a custom size like 120x180mm.",
            ),
        )
    })
}

/// `vertical` (竖版) or `horizontal` (横版): [`Orientation::parse`].
pub fn layout(s: &str) -> Result<Orientation, UserError> {
    Orientation::parse(s).ok_or_else(|| {
        UserError::new(
            "print.bad_layout",
            (
                &format!("版式“{s}”无法识别。"),
                "请用 vertical（竖版）或 horizontal（横版）。",
            ),
            (
                &format!("\"{s}\" is not a layout."),
                "Use vertical (竖版) or horizontal (横版).",
            ),
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn colours_sizes_and_layouts_as_typed() {
        assert_eq!(color("#000000").unwrap(), Cmyk::K100);
        assert_eq!(
            color("78,0,85%,0").unwrap(),
            Cmyk::new(0.78, 0.0, 0.85, 0.0)
        );
        assert_eq!(color("78,0,85").unwrap_err().code, "print.bad_color");
        assert_eq!(color("green").unwrap_err().code, "print.bad_color");
        assert_eq!(size("a5").unwrap(), PageSize::A5);
        assert_eq!(size("big").unwrap_err().code, "print.bad_size");
        assert_eq!(layout("横版").unwrap(), Orientation::Horizontal);
        assert_eq!(layout("up").unwrap_err().code, "print.bad_layout");
    }
}
