//! The PNG backend: plotters' bitmap backend with text drawn as the SVG shows it.
//!
//! plotters 0.3.7's `ab_glyph` text drops each glyph's left side bearing, so PNG text has
//! uneven letter spacing ("evic tions"). [`Png`] passes every drawing call to the bitmap
//! backend except text, which it lays out itself with the bundled fonts: glyphs at their
//! advances and kerning, bearings kept, anchored and sized as an SVG viewer draws the same
//! `<text>` (an em of `size / 1.24` px, baseline 0.76 em under a top anchor and half an
//! x-height under a centre anchor). Layout (`estimate_text_size`) stays plotters' own, so the
//! PNG and the SVG of a chart share every position.

use std::sync::OnceLock;

use ab_glyph::{Font, FontRef, PxScale, ScaleFont, point};
use plotters::prelude::*;
use plotters_backend::text_anchor::{HPos, VPos};
use plotters_backend::{
    BackendColor, BackendCoord, BackendStyle, BackendTextStyle, DrawingErrorKind, FontStyle,
};

/// em size over plotters' font size, as plotters' SVG backend writes `font-size`.
const EM_PER_SIZE: f64 = 1.0 / 1.24;
/// DejaVu Sans' x-height in em (1120 of 2048 units).
const X_HEIGHT: f32 = 1120.0 / 2048.0;

/// The bundled regular and bold fonts, parsed once.
fn fonts() -> &'static (FontRef<'static>, FontRef<'static>) {
    static FONTS: OnceLock<(FontRef<'static>, FontRef<'static>)> = OnceLock::new();
    FONTS.get_or_init(|| {
        let parse = |b: &'static [u8]| FontRef::try_from_slice(b).expect("the bundled fonts parse");
        (parse(super::FONT), parse(super::FONT_BOLD))
    })
}

/// A PNG being drawn: [`BitMapBackend`] with its own text (see the module docs).
pub(super) struct Png<'a>(pub BitMapBackend<'a>);

type Err<'a> = DrawingErrorKind<<BitMapBackend<'a> as DrawingBackend>::ErrorType>;

impl<'a> DrawingBackend for Png<'a> {
    type ErrorType = <BitMapBackend<'a> as DrawingBackend>::ErrorType;

    fn get_size(&self) -> (u32, u32) {
        self.0.get_size()
    }

    fn ensure_prepared(&mut self) -> Result<(), Err<'a>> {
        self.0.ensure_prepared()
    }

    fn present(&mut self) -> Result<(), Err<'a>> {
        self.0.present()
    }

    fn draw_pixel(&mut self, point: BackendCoord, color: BackendColor) -> Result<(), Err<'a>> {
        self.0.draw_pixel(point, color)
    }

    fn draw_line<S: BackendStyle>(
        &mut self,
        from: BackendCoord,
        to: BackendCoord,
        style: &S,
    ) -> Result<(), Err<'a>> {
        self.0.draw_line(from, to, style)
    }

    fn draw_rect<S: BackendStyle>(
        &mut self,
        upper_left: BackendCoord,
        bottom_right: BackendCoord,
        style: &S,
        fill: bool,
    ) -> Result<(), Err<'a>> {
        self.0.draw_rect(upper_left, bottom_right, style, fill)
    }

    fn blit_bitmap(&mut self, pos: BackendCoord, size: (u32, u32), src: &[u8]) -> Result<(), Err<'a>> {
        self.0.blit_bitmap(pos, size, src)
    }

    fn draw_text<T: BackendTextStyle>(
        &mut self,
        text: &str,
        style: &T,
        pos: BackendCoord,
    ) -> Result<(), Err<'a>> {
        let color = style.color();
        if color.alpha == 0.0 {
            return Ok(());
        }
        let (regular, bold) = fonts();
        let font = if matches!(style.style(), FontStyle::Bold) { bold } else { regular };
        let em = (style.size() * EM_PER_SIZE) as f32;
        let units = font.units_per_em().unwrap_or(2048.0);
        let scaled = font.as_scaled(PxScale::from(em * font.height_unscaled() / units));
        let ids: Vec<_> = text.chars().map(|c| font.glyph_id(c)).collect();
        let kern = |i: usize| if i > 0 { scaled.kern(ids[i - 1], ids[i]) } else { 0.0 };
        let width: f32 = (0..ids.len()).map(|i| scaled.h_advance(ids[i]) + kern(i)).sum();
        let mut caret = match style.anchor().h_pos {
            HPos::Left => 0.0,
            HPos::Center => -width / 2.0,
            HPos::Right => -width,
        };
        let baseline = match style.anchor().v_pos {
            VPos::Top => 0.76 * em,
            VPos::Center => 0.5 * X_HEIGHT * em,
            VPos::Bottom => -0.5 * X_HEIGHT * em,
        };
        let trans = style.transform();
        let mut dots: Vec<(i32, i32, f32)> = Vec::new();
        for (i, &id) in ids.iter().enumerate() {
            caret += kern(i);
            let glyph = id.with_scale_and_position(scaled.scale(), point(caret, baseline));
            if let Some(outline) = font.outline_glyph(glyph) {
                let b = outline.px_bounds();
                outline.draw(|x, y, coverage| {
                    dots.push((b.min.x as i32 + x as i32, b.min.y as i32 + y as i32, coverage));
                });
            }
            caret += scaled.h_advance(id);
        }
        for (x, y, coverage) in dots {
            let (dx, dy) = trans.transform(x, y);
            let c = BackendColor { alpha: color.alpha * f64::from(coverage.min(1.0)), rgb: color.rgb };
            self.0.draw_pixel((pos.0 + dx, pos.1 + dy), c)?;
        }
        Ok(())
    }
}
